// Whole-buffer decoding: the one entry point that enforces "no trailing bytes".
#pragma once

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"

namespace p2psip::wire {

// Decode a structure that has `void decode(byte_reader&, T&)`, requiring the
// buffer to hold exactly one T.
template <class T>
result<T> from_bytes(bytes_view data) {
  byte_reader r(data);
  T value{};
  decode(r, value);
  r.expect_end("trailing bytes");
  if (!r.ok()) return *r.error();
  return value;
}

}  // namespace p2psip::wire
