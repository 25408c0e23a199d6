// StoredData and the data models, RFC 6940 §7, §7.1 and §7.2, plus the
// per-Kind blocks that StoreReq, FetchAns and StatAns share.
//
// The data model is not on the wire: it comes from the Kind's definition in
// the overlay configuration. Decoders of anything holding a StoredDataValue
// therefore take a data_model_lookup. Values of a Kind the lookup does not
// know are kept undecoded so the storage layer can answer Error_Unknown_Kind
// and a relay can re-encode them byte for byte.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/codec.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"
#include "wire/ids.hpp"
#include "wire/security_block.hpp"

namespace p2psip::wire {

// §7.2. Not a wire value, so the numbering is ours.
enum class data_model : std::uint8_t { single_value, array, dictionary };

// Maps a Kind-ID to its data model; nullopt for a Kind the node does not know.
using data_model_lookup = std::function<std::optional<data_model>(kind_id)>;

// The Kinds defined by the RFCs, with their IANA Kind-IDs.
namespace well_known_kind {
inline constexpr kind_id sip_registration{0x1};      // RFC 7904 §7: dictionary
inline constexpr kind_id turn_service{0x2};          // RFC 6940 §9: single value
inline constexpr kind_id certificate_by_node{0x3};   // RFC 6940 §8: array
inline constexpr kind_id certificate_by_user{0x10};  // RFC 6940 §8: array
}  // namespace well_known_kind

// The data models of the well_known_kind Kinds; nullopt for any other Kind.
// A node also knows the Kinds of its overlay configuration, so it passes its
// own lookup; this one serves tools, tests and fuzz targets.
std::optional<data_model> well_known_data_model(kind_id kind) noexcept;

// DictionaryKey<0..2^16-1> (§7.2.3).
using dictionary_key = std::vector<std::uint8_t>;

// A Store at this array index appends (§7.4.1.1).
inline constexpr std::uint32_t array_append_index = 0xffffffff;

// DataValue (§7.2).
struct data_value {
  bool exists = false;
  std::vector<std::uint8_t> value;  // opaque value<0..2^32-1>

  // Names of the model arms' fields in error reports (see model_value).
  static constexpr const char* array_index_field = "ArrayEntry.index";
  static constexpr const char* dictionary_key_field = "DictionaryEntry.key";
  friend bool operator==(const data_value&, const data_value&) = default;
};

void encode(byte_writer& w, const data_value& v);
void decode(byte_reader& r, data_value& v);

// The arms of the data-model select. StoredDataValue (§7.2) and MetaDataValue
// (§7.4.3.2) differ only in the leaf: DataValue or MetaData.
template <class Leaf>
struct array_entry_of {
  std::uint32_t index = 0;
  Leaf value;
  friend bool operator==(const array_entry_of&, const array_entry_of&) = default;
};

template <class Leaf>
struct dictionary_entry_of {
  dictionary_key key;
  Leaf value;
  friend bool operator==(const dictionary_entry_of&, const dictionary_entry_of&) = default;
};

template <class Leaf>
struct model_value {
  std::variant<Leaf, array_entry_of<Leaf>, dictionary_entry_of<Leaf>> entry;
  friend bool operator==(const model_value&, const model_value&) = default;
};

using array_entry = array_entry_of<data_value>;            // ArrayEntry
using dictionary_entry = dictionary_entry_of<data_value>;  // DictionaryEntry
using stored_data_value = model_value<data_value>;         // StoredDataValue

template <class Leaf>
void encode(byte_writer& w, const model_value<Leaf>& v) {
  switch (v.entry.index()) {
    case 0: encode(w, std::get<0>(v.entry)); break;
    case 1:
      w.u32(std::get<1>(v.entry).index);
      encode(w, std::get<1>(v.entry).value);
      break;
    default:
      w.opaque(2, 0, 0xffff, std::get<2>(v.entry).key, Leaf::dictionary_key_field);
      encode(w, std::get<2>(v.entry).value);
      break;
  }
}

template <class Leaf>
void decode(byte_reader& r, model_value<Leaf>& v, data_model model) {
  switch (model) {
    case data_model::single_value: {
      Leaf leaf;
      decode(r, leaf);
      v.entry = std::move(leaf);
      return;
    }
    case data_model::array: {
      array_entry_of<Leaf> e;
      e.index = r.u32(Leaf::array_index_field);
      decode(r, e.value);
      v.entry = std::move(e);
      return;
    }
    case data_model::dictionary: {
      dictionary_entry_of<Leaf> e;
      const auto key = r.opaque(2, 0, 0xffff, Leaf::dictionary_key_field);
      e.key.assign(key.begin(), key.end());
      decode(r, e.value);
      v.entry = std::move(e);
      return;
    }
  }
  r.fail(codec_errc::invalid_value, "DataModel");  // a lookup returned a bad enum value
}

// StoredData (§7). `length` is not kept: the encoder computes it.
struct stored_data {
  std::uint64_t storage_time = 0;  // ms since 1970-01-01 UTC
  std::uint32_t lifetime = 0;      // seconds
  stored_data_value value;
  wire::signature signature;
  friend bool operator==(const stored_data&, const stored_data&) = default;
};

void encode(byte_writer& w, const stored_data& v);
void decode(byte_reader& r, stored_data& v, data_model model);

// The exact bytes a StoredData's signature covers (§7.1):
//   resource_id || kind || storage_time || StoredDataValue || SignerIdentity
// resource_id is the Resource-ID's value without its length byte (§7.1 names
// the ID, not the ResourceId field); kind is the uint32 KindId; storage_time
// the uint64; StoredDataValue and SignerIdentity (signature.identity) are
// their wire encodings. For the array model the index is written as zero,
// because an append (index 0xffffffff) is stored under another index
// (§7.4.2.2). Fails only if a field exceeds its wire bound.
result<std::vector<std::uint8_t>> stored_data_signature_input(const resource_id& resource,
                                                              kind_id kind,
                                                              const stored_data& data);

// The values<0..2^32-1> of a Kind the lookup did not know: the bytes inside
// the length prefix, undecoded, since parsing them needs the data model.
struct undecoded_values {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const undecoded_values&, const undecoded_values&) = default;
};

// A Kind's values: decoded when its data model is known, else undecoded.
template <class Value>
using kind_values = std::variant<std::vector<Value>, undecoded_values>;

// {KindId kind; uint64 generation; Value values<0..2^32-1>;} is the layout of
// StoreKindData, FetchKindResponse and StatKindResponse. Names gives each its
// RFC field names for error reports.
template <class Value, class Names>
struct kind_block {
  kind_id kind;
  generation_counter generation;
  kind_values<Value> values;

  [[nodiscard]] bool decoded() const noexcept { return values.index() == 0; }
  friend bool operator==(const kind_block&, const kind_block&) = default;
};

template <class Value, class Names>
void encode(byte_writer& w, const kind_block<Value, Names>& v) {
  w.u32(v.kind.value);
  w.u64(v.generation.value);
  if (const auto* raw = std::get_if<undecoded_values>(&v.values)) {
    w.opaque(4, 0, 0xffffffff, raw->bytes, Names::values);
    return;
  }
  encode_elements(w, 4, 0xffffffff, std::get<0>(v.values), Names::values);
}

template <class Value, class Names>
void decode(byte_reader& r, kind_block<Value, Names>& v, const data_model_lookup& models) {
  v.kind = kind_id{r.u32(Names::kind)};
  v.generation = generation_counter{r.u64(Names::generation)};
  auto list = r.sub_prefixed(4, 0xffffffff, Names::values);
  if (!r.ok()) return;
  const auto model = models(v.kind);
  if (!model) {
    const auto raw = list.fixed(list.remaining(), Names::values);
    v.values = undecoded_values{{raw.begin(), raw.end()}};
    return;
  }
  std::vector<Value> values;
  decode_elements(list, values, *model);
  v.values = std::move(values);
}

// True when two items carry the same Kind-ID, which StoreReq (§7.4.1.1) and
// FindReq (§7.4.4.1) forbid. Quadratic without allocating for the handful of
// Kinds a request carries, so encoders stay allocation-free; a hostile list of
// thousands is sorted instead.
template <class T, class KindOf>
bool has_repeated_kind(const std::vector<T>& items, KindOf kind_of) {
  constexpr std::size_t few = 16;
  if (items.size() <= few) {
    for (std::size_t i = 1; i < items.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (kind_of(items[i]) == kind_of(items[j])) return true;
      }
    }
    return false;
  }
  std::vector<kind_id> kinds;
  kinds.reserve(items.size());
  for (const auto& item : items) kinds.push_back(kind_of(item));
  std::sort(kinds.begin(), kinds.end());
  return std::adjacent_find(kinds.begin(), kinds.end()) != kinds.end();
}

// A T decoded against well_known_data_model, so that code written for
// self-describing structures (from_bytes<T>(bytes), the fuzz targets, the
// test sweeps) can decode it. A node decodes with its configured lookup.
template <class T>
struct with_well_known_kinds {
  T value;
  friend bool operator==(const with_well_known_kinds&, const with_well_known_kinds&) = default;
};

template <class T>
void encode(byte_writer& w, const with_well_known_kinds<T>& v) {
  encode(w, v.value);
}

template <class T>
void decode(byte_reader& r, with_well_known_kinds<T>& v) {
  decode(r, v.value, data_model_lookup(well_known_data_model));
}

}  // namespace p2psip::wire
