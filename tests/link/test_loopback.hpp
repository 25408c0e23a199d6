// For link tests over real loopback TCP: ephemeral ports on 127.0.0.1, test
// timings, and a bounded way to drive the io_context.
#pragma once

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "link/link_clock.hpp"
#include "link/link_config.hpp"

namespace p2psip::link::test {

inline const boost::asio::ip::tcp::endpoint loopback(boost::asio::ip::make_address("127.0.0.1"),
                                                     0);

// Fast ticks and short lingers; keepalives only where a test asks for them.
inline link_config loopback_config() {
  using namespace std::chrono_literals;
  link_config config;
  config.tick_interval = 10ms;
  config.close_linger = 200ms;
  config.crossed_link_drain = 100ms;
  config.keepalive_interval = 60s;
  return config;
}

// Runs the loop until `done` holds or the deadline passes.
template <class Predicate>
bool run_until(boost::asio::io_context& io, Predicate done,
               link_duration timeout = std::chrono::seconds(5)) {
  const auto deadline = link_clock::now() + timeout;
  while (!done()) {
    if (link_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace p2psip::link::test
