// Stat request and answer bodies, RFC 6940 §7.4.3.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/fetch.hpp"
#include "wire/ids.hpp"
#include "wire/security_block.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::wire {

struct stat_req_names {
  static constexpr const char* resource = "StatReq.resource";
  static constexpr const char* specifiers = "StatReq.specifiers";
};
// StatReq: "identical to the Fetch request" (§7.4.3.1).
using stat_req = specifier_request<stat_req_names>;

// MetaData (§7.4.3.2). hash_value digests the DataValue's value field
// including its 4 length bytes.
struct meta_data {
  bool exists = false;
  std::uint32_t value_length = 0;
  wire::hash_algorithm hash_algorithm = wire::hash_algorithm::sha256;
  std::vector<std::uint8_t> hash_value;  // opaque<0..255>

  // Names of the model arms' fields in error reports (see model_value).
  static constexpr const char* array_index_field = "ArrayEntryMeta.index";
  static constexpr const char* dictionary_key_field = "DictionaryEntryMeta.key";
  friend bool operator==(const meta_data&, const meta_data&) = default;
};

void encode(byte_writer& w, const meta_data& v);
void decode(byte_reader& r, meta_data& v);  // rejects an unknown HashAlgorithm

using array_entry_meta = array_entry_of<meta_data>;            // ArrayEntryMeta
using dictionary_entry_meta = dictionary_entry_of<meta_data>;  // DictionaryEntryMeta
using meta_data_value = model_value<meta_data>;                // MetaDataValue

// StoredMetaData (§7.4.3.2). Its fields have "the same contents as the
// corresponding fields in StoredData", so value_length carries the described
// StoredData's length; it is a plain number, not a prefix of this structure.
struct stored_meta_data {
  std::uint32_t value_length = 0;
  std::uint64_t storage_time = 0;
  std::uint32_t lifetime = 0;
  meta_data_value metadata;
  friend bool operator==(const stored_meta_data&, const stored_meta_data&) = default;
};

void encode(byte_writer& w, const stored_meta_data& v);
void decode(byte_reader& r, stored_meta_data& v, data_model model);

struct stat_kind_response_names {
  static constexpr const char* kind = "StatKindResponse.kind";
  static constexpr const char* generation = "StatKindResponse.generation";
  static constexpr const char* values = "StatKindResponse.values";
};
using stat_kind_response = kind_block<stored_meta_data, stat_kind_response_names>;

// StatAns (§7.4.3.2).
struct stat_ans {
  std::vector<stat_kind_response> kind_responses;
  friend bool operator==(const stat_ans&, const stat_ans&) = default;
};

void encode(byte_writer& w, const stat_ans& v);
void decode(byte_reader& r, stat_ans& v, const data_model_lookup& models);

}  // namespace p2psip::wire
