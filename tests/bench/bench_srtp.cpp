// srtp_stream's cost per packet against the number of streams in the
// process: N streams (each two libsrtp2 sessions, one each way, as an
// anchored m-line has), then 172-byte RTP packets (G.711, 20 ms) protected
// across them, round robin. Debian's libsrtp2 runs on NSS, whose cost per
// packet grew with the sessions alive; srtp_stream now puts OpenSSL's
// AES-CM and HMAC-SHA1 in its place (tests/bench/README.md, media).
//
// usage: bench_srtp [N...]   (default 1 50 500 1000 2000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "media/sdes_crypto.hpp"
#include "media/srtp_stream.hpp"

using namespace p2psip;

int main(int argc, char** argv) {
  std::vector<std::size_t> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::strtoul(argv[i], nullptr, 10));
  if (counts.empty()) counts = {1, 50, 500, 1000, 2000};
  constexpr int packets = 20'000;
  for (const std::size_t n : counts) {
    std::vector<media::srtp_stream> streams;
    streams.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto s = media::srtp_stream::create(media::fresh_sdes_crypto(), media::fresh_sdes_crypto());
      if (!s) return std::fprintf(stderr, "srtp_stream::create failed\n"), 1;
      streams.push_back(std::move(*s));
    }
    std::vector<std::uint8_t> buffer(172 + media::srtp_stream::max_trailer);
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < packets; ++p) {
      std::fill(buffer.begin(), buffer.begin() + 172, 0xd5);
      buffer[0] = 0x80;
      buffer[1] = 0;
      const auto seq = static_cast<std::uint16_t>(p / n + 1);
      buffer[2] = static_cast<std::uint8_t>(seq >> 8);
      buffer[3] = static_cast<std::uint8_t>(seq);
      std::size_t size = 172;
      if (streams[static_cast<std::size_t>(p) % n].protect(buffer, size) != media::srtp_outcome::ok)
        return std::fprintf(stderr, "protect failed\n"), 1;
    }
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu streams (%zu libsrtp2 sessions): %.2f us per protect\n", n, 2 * n,
                us / packets);
  }
  return 0;
}
