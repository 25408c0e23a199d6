#include "wire/stat.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const meta_data& v) {
  if (v.hash_algorithm > hash_algorithm::sha512)
    w.fail(codec_errc::invalid_value, "MetaData.hash_algorithm");
  w.boolean(v.exists);
  w.u32(v.value_length);
  w.u8(static_cast<std::uint8_t>(v.hash_algorithm));
  w.opaque(1, 0, 255, v.hash_value, "MetaData.hash_value");
}

void decode(byte_reader& r, meta_data& v) {
  v.exists = r.boolean("MetaData.exists");
  v.value_length = r.u32("MetaData.value_length");
  const auto hash = r.u8("MetaData.hash_algorithm");
  if (r.ok() && hash > static_cast<std::uint8_t>(hash_algorithm::sha512)) {
    r.fail(codec_errc::unknown_type, "MetaData.hash_algorithm");
  }
  v.hash_algorithm = static_cast<hash_algorithm>(hash);
  const auto value = r.opaque(1, 0, 255, "MetaData.hash_value");
  v.hash_value.assign(value.begin(), value.end());
}

void encode(byte_writer& w, const stored_meta_data& v) {
  w.u32(v.value_length);
  w.u64(v.storage_time);
  w.u32(v.lifetime);
  encode(w, v.metadata);
}

void decode(byte_reader& r, stored_meta_data& v, data_model model) {
  v.value_length = r.u32("StoredMetaData.value_length");
  v.storage_time = r.u64("StoredMetaData.storage_time");
  v.lifetime = r.u32("StoredMetaData.lifetime");
  decode(r, v.metadata, model);
}

void encode(byte_writer& w, const stat_ans& v) {
  encode_elements(w, 4, 0xffffffff, v.kind_responses, "StatAns.kind_responses");
}

void decode(byte_reader& r, stat_ans& v, const data_model_lookup& models) {
  auto list = r.sub_prefixed(4, 0xffffffff, "StatAns.kind_responses");
  decode_elements(list, v.kind_responses, models);
}

}  // namespace p2psip::wire
