// The click-to-call controller's refusal of an offer it cannot answer
// (RFC 3264 §6): every stream of the offer, in order, at port 0.
#include <catch2/catch.hpp>

#include "sip/call_controller.hpp"

using p2psip::sip::refusing_answer;

TEST_CASE("refusing_answer: each m= line of the offer at port 0, in order", "[call_controller]") {
  const std::string offer =
      "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=video 4002 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n";
  const std::string answer = refusing_answer(offer, "127.0.0.1");
  CHECK(answer ==
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 0 RTP/AVP 0 8\r\nm=video 0 RTP/SAVP 96\r\n");
}

TEST_CASE("refusing_answer: bare newlines, IPv6, and malformed m= lines left out",
          "[call_controller]") {
  const std::string answer = refusing_answer("v=0\nm=audio 4000 RTP/AVP 0\nm=broken\nm=\n", "::1");
  CHECK(answer ==
        "v=0\r\no=- 0 0 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
        "m=audio 0 RTP/AVP 0\r\n");
}
