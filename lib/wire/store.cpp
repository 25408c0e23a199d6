#include "wire/store.hpp"

namespace p2psip::wire {

namespace {
kind_id kind_of(const store_kind_data& d) { return d.kind; }
}  // namespace

void encode(byte_writer& w, const store_req& v) {
  if (has_repeated_kind(v.kind_data, kind_of))
    w.fail(codec_errc::invalid_value, "StoreReq.kind_data");
  w.opaque(1, 0, resource_id::max_length, v.resource.bytes(), "StoreReq.resource");
  w.u8(v.replica_number);
  encode_elements(w, 4, 0xffffffff, v.kind_data, "StoreReq.kind_data");
}

void decode(byte_reader& r, store_req& v, const data_model_lookup& models) {
  v.resource =
      *resource_id::from_span(r.opaque(1, 0, resource_id::max_length, "StoreReq.resource"));
  v.replica_number = r.u8("StoreReq.replica_number");
  auto list = r.sub_prefixed(4, 0xffffffff, "StoreReq.kind_data");
  decode_elements(list, v.kind_data, models);
  if (r.ok() && has_repeated_kind(v.kind_data, kind_of)) {
    r.fail(codec_errc::invalid_value, "StoreReq.kind_data");
  }
}

void encode(byte_writer& w, const store_kind_response& v) {
  w.u32(v.kind.value);
  w.u64(v.generation.value);
  encode_node_id_list(w, v.replicas, "StoreKindResponse.replicas");
}

void decode(byte_reader& r, store_kind_response& v) {
  v.kind = kind_id{r.u32("StoreKindResponse.kind")};
  v.generation = generation_counter{r.u64("StoreKindResponse.generation_counter")};
  decode_node_id_list(r, v.replicas, "StoreKindResponse.replicas");
}

void encode(byte_writer& w, const store_ans& v) {
  encode_elements(w, 2, 0xffff, v.kind_responses, "StoreAns.kind_responses");
}

void decode(byte_reader& r, store_ans& v) {
  auto list = r.sub_prefixed(2, 0xffff, "StoreAns.kind_responses");
  decode_elements(list, v.kind_responses);
}

}  // namespace p2psip::wire
