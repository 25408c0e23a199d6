#include "wire/find.hpp"

#include "wire/stored_data.hpp"

namespace p2psip::wire {

namespace {
kind_id kind_of(kind_id kind) { return kind; }
}  // namespace

void encode(byte_writer& w, const find_req& v) {
  if (has_repeated_kind(v.kinds, kind_of)) w.fail(codec_errc::invalid_value, "FindReq.kinds");
  w.opaque(1, 0, resource_id::max_length, v.resource.bytes(), "FindReq.resource");
  const auto m = w.begin_prefixed(1);
  for (const auto kind : v.kinds) w.u32(kind.value);
  w.end_prefixed(m, 0xff, "FindReq.kinds");
}

void decode(byte_reader& r, find_req& v) {
  v.resource = *resource_id::from_span(r.opaque(1, 0, resource_id::max_length, "FindReq.resource"));
  auto list = r.sub_prefixed(1, 0xff, "FindReq.kinds");
  v.kinds.clear();
  while (list.ok() && !list.empty()) {
    const auto kind = list.u32("FindReq.kinds");
    if (list.ok()) v.kinds.emplace_back(kind);
  }
  if (r.ok() && has_repeated_kind(v.kinds, kind_of))
    r.fail(codec_errc::invalid_value, "FindReq.kinds");
}

void encode(byte_writer& w, const find_kind_data& v) {
  w.u32(v.kind.value);
  w.opaque(1, 0, resource_id::max_length, v.closest.bytes(), "FindKindData.closest");
}

void decode(byte_reader& r, find_kind_data& v) {
  v.kind = kind_id{r.u32("FindKindData.kind")};
  v.closest =
      *resource_id::from_span(r.opaque(1, 0, resource_id::max_length, "FindKindData.closest"));
}

void encode(byte_writer& w, const find_ans& v) {
  encode_elements(w, 2, 0xffff, v.results, "FindAns.results");
}

void decode(byte_reader& r, find_ans& v) {
  auto list = r.sub_prefixed(2, 0xffff, "FindAns.results");
  decode_elements(list, v.results);
}

}  // namespace p2psip::wire
