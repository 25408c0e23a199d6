// Whole-buffer decoding: the one entry point that enforces "no trailing bytes".
#pragma once

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"
#include "wire/ids.hpp"

#include <vector>

namespace p2psip::wire {

// Decode a structure that has `void decode(byte_reader&, T&, context...)`,
// requiring the buffer to hold exactly one T. `context` is what the wire does
// not carry itself (e.g. the data model of each Kind).
template <class T, class... Context>
result<T> from_bytes(bytes_view data, const Context&... context) {
  byte_reader r(data);
  T value{};
  decode(r, value, context...);
  r.expect_end("trailing bytes");
  if (!r.ok()) return *r.error();
  return value;
}

// Decodes elements back to back until `list` (one length-delimited vector)
// is used up; `context` is passed through to decode (e.g. a data model).
template <class T, class... Context>
void decode_elements(byte_reader& list, std::vector<T>& out, const Context&... context) {
  out.clear();
  while (list.ok() && !list.empty()) {
    T element{};
    decode(list, element, context...);
    if (list.ok()) out.push_back(std::move(element));
  }
}

// Writes `items` back to back inside a length prefix of prefix_bytes.
template <class T>
void encode_elements(byte_writer& w, int prefix_bytes, std::size_t max, const std::vector<T>& items,
                     const char* field) {
  const auto m = w.begin_prefixed(prefix_bytes);
  for (const auto& item : items) encode(w, item);
  w.end_prefixed(m, max, field);
}

// A NodeId on the wire is its fixed-length bytes, no prefix (§6.3.1.1).
void encode(byte_writer& w, const node_id& id);
node_id decode_node_id(byte_reader& r, const char* field);
void decode(byte_reader& r, node_id& id);

// NodeId list<0..2^16-1>: a 2-byte count of bytes, then whole NodeIds.
void encode_node_id_list(byte_writer& w, const std::vector<node_id>& ids, const char* field);
void decode_node_id_list(byte_reader& r, std::vector<node_id>& ids, const char* field);

}  // namespace p2psip::wire
