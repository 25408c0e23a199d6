#include "wire/fetch.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const array_range& v) {
  if (v.first > v.last) w.fail(codec_errc::invalid_value, "ArrayRange.first");
  w.u32(v.first);
  w.u32(v.last);
}

void decode(byte_reader& r, array_range& v) {
  v.first = r.u32("ArrayRange.first");
  v.last = r.u32("ArrayRange.last");
  if (r.ok() && v.first > v.last) r.fail(codec_errc::invalid_value, "ArrayRange.first");
}

namespace {

struct model_specifier_encoder {
  byte_writer& w;
  void operator()(const single_value_specifier&) const {}
  void operator()(const std::vector<array_range>& indices) const {
    encode_elements(w, 2, 0xffff, indices, "StoredDataSpecifier.indices");
  }
  void operator()(const std::vector<dictionary_key>& keys) const {
    const auto m = w.begin_prefixed(2);
    for (const auto& key : keys) w.opaque(2, 0, 0xffff, key, "StoredDataSpecifier.keys");
    w.end_prefixed(m, 0xffff, "StoredDataSpecifier.keys");
  }
  void operator()(const undecoded_specifier& s) const { w.fixed(s.bytes); }
};

void decode_keys(byte_reader& r, std::vector<dictionary_key>& keys) {
  auto list = r.sub_prefixed(2, 0xffff, "StoredDataSpecifier.keys");
  keys.clear();
  while (list.ok() && !list.empty()) {
    const auto key = list.opaque(2, 0, 0xffff, "StoredDataSpecifier.keys");
    if (list.ok()) keys.emplace_back(key.begin(), key.end());
  }
}

}  // namespace

void encode(byte_writer& w, const stored_data_specifier& v) {
  w.u32(v.kind.value);
  w.u64(v.generation.value);
  const auto m = w.begin_prefixed(2);
  std::visit(model_specifier_encoder{w}, v.model_specifier);
  w.end_prefixed(m, 0xffff, "StoredDataSpecifier.length");
}

void decode(byte_reader& r, stored_data_specifier& v, const data_model_lookup& models) {
  v.kind = kind_id{r.u32("StoredDataSpecifier.kind")};
  v.generation = generation_counter{r.u64("StoredDataSpecifier.generation")};
  auto body = r.sub_prefixed(2, 0xffff, "StoredDataSpecifier.length");
  if (!r.ok()) return;
  const auto model = models(v.kind);
  if (!model) {
    const auto raw = body.fixed(body.remaining(), "StoredDataSpecifier.model_specifier");
    v.model_specifier = undecoded_specifier{{raw.begin(), raw.end()}};
    return;
  }
  switch (*model) {
    case data_model::single_value: v.model_specifier = single_value_specifier{}; break;
    case data_model::array: {
      std::vector<array_range> indices;
      auto list = body.sub_prefixed(2, 0xffff, "StoredDataSpecifier.indices");
      decode_elements(list, indices);
      v.model_specifier = std::move(indices);
      break;
    }
    case data_model::dictionary: {
      std::vector<dictionary_key> keys;
      decode_keys(body, keys);
      v.model_specifier = std::move(keys);
      break;
    }
    default:  // a lookup returned a value outside the enum
      body.fail(codec_errc::invalid_value, "DataModel");
      return;
  }
  // The length covers exactly the model's specifier.
  body.expect_end("StoredDataSpecifier.length");
}

void encode(byte_writer& w, const fetch_ans& v) {
  encode_elements(w, 4, 0xffffffff, v.kind_responses, "FetchAns.kind_responses");
}

void decode(byte_reader& r, fetch_ans& v, const data_model_lookup& models) {
  auto list = r.sub_prefixed(4, 0xffffffff, "FetchAns.kind_responses");
  decode_elements(list, v.kind_responses, models);
}

}  // namespace p2psip::wire
