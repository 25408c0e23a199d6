// Fetch request and answer bodies, RFC 6940 §7.4.2. StoredDataSpecifier is
// shared with Stat (§7.4.3.1).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::wire {

// ArrayRange (§7.4.2.1). The RFC types the bounds int32 yet uses 0xffffffff
// for "the final element" and requires first <= last, which only holds for
// unsigned values; the bits on the wire are the same either way.
struct array_range {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  friend bool operator==(const array_range&, const array_range&) = default;
};

// The single-value model_specifier: empty.
struct single_value_specifier {
  friend bool operator==(const single_value_specifier&, const single_value_specifier&) = default;
};

// The model_specifier of a Kind the lookup did not know, undecoded; the
// specifier's length field makes it skippable.
struct undecoded_specifier {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const undecoded_specifier&, const undecoded_specifier&) = default;
};

// StoredDataSpecifier (§7.4.2.1). `length` is computed by the encoder. A
// dictionary specifier with no keys is a wildcard fetch.
struct stored_data_specifier {
  kind_id kind;
  generation_counter generation;
  std::variant<single_value_specifier, std::vector<array_range>, std::vector<dictionary_key>,
               undecoded_specifier>
      model_specifier;
  friend bool operator==(const stored_data_specifier&, const stored_data_specifier&) = default;
};

void encode(byte_writer& w, const array_range& v);
void decode(byte_reader& r, array_range& v);  // rejects first > last as invalid_value
void encode(byte_writer& w, const stored_data_specifier& v);
void decode(byte_reader& r, stored_data_specifier& v, const data_model_lookup& models);

// {ResourceId resource; StoredDataSpecifier specifiers<0..2^16-1>;}: the
// layout of FetchReq and, identically, StatReq (§7.4.3.1). Names gives each
// its RFC name for error reports.
template <class Names>
struct specifier_request {
  resource_id resource;
  std::vector<stored_data_specifier> specifiers;
  friend bool operator==(const specifier_request&, const specifier_request&) = default;
};

template <class Names>
void encode(byte_writer& w, const specifier_request<Names>& v) {
  w.opaque(1, 0, resource_id::max_length, v.resource.bytes(), Names::resource);
  encode_elements(w, 2, 0xffff, v.specifiers, Names::specifiers);
}

template <class Names>
void decode(byte_reader& r, specifier_request<Names>& v, const data_model_lookup& models) {
  v.resource = *resource_id::from_span(r.opaque(1, 0, resource_id::max_length, Names::resource));
  auto list = r.sub_prefixed(2, 0xffff, Names::specifiers);
  decode_elements(list, v.specifiers, models);
}

struct fetch_req_names {
  static constexpr const char* resource = "FetchReq.resource";
  static constexpr const char* specifiers = "FetchReq.specifiers";
};
using fetch_req = specifier_request<fetch_req_names>;  // FetchReq

struct fetch_kind_response_names {
  static constexpr const char* kind = "FetchKindResponse.kind";
  static constexpr const char* generation = "FetchKindResponse.generation";
  static constexpr const char* values = "FetchKindResponse.values";
};
using fetch_kind_response = kind_block<stored_data, fetch_kind_response_names>;

// FetchAns (§7.4.2.2).
struct fetch_ans {
  std::vector<fetch_kind_response> kind_responses;
  friend bool operator==(const fetch_ans&, const fetch_ans&) = default;
};

void encode(byte_writer& w, const fetch_ans& v);
void decode(byte_reader& r, fetch_ans& v, const data_model_lookup& models);

}  // namespace p2psip::wire
