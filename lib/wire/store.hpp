// Store request and answer bodies, RFC 6940 §7.4.1.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::wire {

struct store_kind_data_names {
  static constexpr const char* kind = "StoreKindData.kind";
  static constexpr const char* generation = "StoreKindData.generation_counter";
  static constexpr const char* values = "StoreKindData.values";
};

// StoreKindData (§7.4.1.1). `generation` is the RFC's generation_counter.
using store_kind_data = kind_block<stored_data, store_kind_data_names>;

// StoreReq (§7.4.1.1). A Kind-ID may appear once: the decoder and encoder
// reject a repeat with invalid_value.
struct store_req {
  resource_id resource;
  std::uint8_t replica_number = 0;  // 0 for an original store
  std::vector<store_kind_data> kind_data;
  friend bool operator==(const store_req&, const store_req&) = default;
};

void encode(byte_writer& w, const store_req& v);
void decode(byte_reader& r, store_req& v, const data_model_lookup& models);

// StoreKindResponse (§7.4.1.2).
struct store_kind_response {
  kind_id kind;
  generation_counter generation;  // generation_counter
  std::vector<node_id> replicas;  // NodeId replicas<0..2^16-1>
  friend bool operator==(const store_kind_response&, const store_kind_response&) = default;
};

void encode(byte_writer& w, const store_kind_response& v);
void decode(byte_reader& r, store_kind_response& v);

// StoreAns (§7.4.1.2); also the error_info of Error_Generation_Counter_Too_Low.
struct store_ans {
  std::vector<store_kind_response> kind_responses;
  friend bool operator==(const store_ans&, const store_ans&) = default;
};

void encode(byte_writer& w, const store_ans& v);
void decode(byte_reader& r, store_ans& v);

}  // namespace p2psip::wire
