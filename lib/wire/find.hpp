// Find request and answer bodies, RFC 6940 §7.4.4.
#pragma once

#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

// FindReq (§7.4.4.1). Each Kind-ID may appear once: the decoder and encoder
// reject a repeat with invalid_value.
struct find_req {
  resource_id resource;
  std::vector<kind_id> kinds;  // KindId kinds<0..2^8-1>
  friend bool operator==(const find_req&, const find_req&) = default;
};

void encode(byte_writer& w, const find_req& v);
void decode(byte_reader& r, find_req& v);

// FindKindData (§7.4.4.2). `closest` is the Resource-ID 0 (all-zero bytes of
// the overlay's Resource-ID length) when the peer knows none.
struct find_kind_data {
  kind_id kind;
  resource_id closest;
  friend bool operator==(const find_kind_data&, const find_kind_data&) = default;
};

void encode(byte_writer& w, const find_kind_data& v);
void decode(byte_reader& r, find_kind_data& v);

// FindAns (§7.4.4.2).
struct find_ans {
  std::vector<find_kind_data> results;
  friend bool operator==(const find_ans&, const find_ans&) = default;
};

void encode(byte_writer& w, const find_ans& v);
void decode(byte_reader& r, find_ans& v);

}  // namespace p2psip::wire
