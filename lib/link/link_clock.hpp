// Time as the link layer sees it: injected, so the reliability logic runs
// under a manual clock in tests.
#pragma once

#include <chrono>
#include <functional>

namespace p2psip::link {

using link_clock = std::chrono::steady_clock;
using link_time = link_clock::time_point;
using link_duration = link_clock::duration;
using clock_source = std::function<link_time()>;

}  // namespace p2psip::link
