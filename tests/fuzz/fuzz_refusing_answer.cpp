// libFuzzer target for the click-to-call controller's refusal of an offer
// (sip/call_controller: refusing_answer): the offer is a phone's SDP, so
// untrusted. The answer has one m= line per well-formed m= line of the
// offer, each at port 0, and nothing from the offer outside them.
#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>

#include "sip/call_controller.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string offer(reinterpret_cast<const char*>(data), size);
  const std::string answer = p2psip::sip::refusing_answer(offer, "127.0.0.1");
  std::istringstream lines(answer);
  std::size_t m_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("m=")) continue;
    ++m_lines;
    const auto port = line.find(' ');
    if (line.compare(port, 3, " 0 ") != 0) std::abort();
  }
  const auto offered = static_cast<std::size_t>(std::count(offer.begin(), offer.end(), '\n') + 1);
  if (m_lines > offered) std::abort();
  return 0;
}
