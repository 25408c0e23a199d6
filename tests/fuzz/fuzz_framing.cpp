// libFuzzer target for the frame splitter. The first byte seeds the chunking
// of the rest of the input; frames decoded from that chunking must equal the
// frames decoded in one pass, and each must re-encode to the exact bytes it
// was cut from.
#include <cstdlib>
#include <random>

#include "wire/codec.hpp"
#include "wire/framing.hpp"

using namespace p2psip::wire;

namespace {
constexpr std::size_t max_message_size = 4096;

struct split_result {
  std::vector<framed_message> frames;
  std::optional<codec_errc> error;
};

split_result split(bytes_view stream, std::uint8_t seed) {
  split_result out;
  frame_splitter splitter(max_message_size);
  std::minstd_rand rng(seed);
  std::size_t frame_start = 0;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t chunk =
        seed == 0 ? stream.size() : std::min<std::size_t>(stream.size() - at, 1 + rng() % 64);
    bytes_view input = stream.subspan(at, chunk);
    at += chunk;
    while (!input.empty()) {
      auto next = splitter.next(input);
      if (!next) {
        out.error = next.error().code;
        return out;
      }
      if (!*next) continue;
      const std::size_t frame_end = at - input.size();
      auto reencoded = to_bytes(**next);
      if (!reencoded || !std::equal(reencoded->begin(), reencoded->end(),
                                    stream.begin() + static_cast<std::ptrdiff_t>(frame_start),
                                    stream.begin() + static_cast<std::ptrdiff_t>(frame_end)) ||
          reencoded->size() != frame_end - frame_start) {
        std::abort();
      }
      frame_start = frame_end;
      out.frames.push_back(std::move(**next));
    }
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bytes_view stream(data + 1, size - 1);
  const auto whole = split(stream, 0);
  const auto chunked = split(stream, data[0]);
  if (whole.frames != chunked.frames || whole.error != chunked.error) std::abort();
  return 0;
}
