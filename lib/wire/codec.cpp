#include "wire/codec.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const node_id& id) { w.fixed(id.bytes()); }

node_id decode_node_id(byte_reader& r, const char* field) {
  const auto bytes = r.fixed(node_id_length, field);
  return r.ok() ? *node_id::from_span(bytes) : node_id{};
}

void decode(byte_reader& r, node_id& id) { id = decode_node_id(r, "NodeId"); }

void encode_node_id_list(byte_writer& w, const std::vector<node_id>& ids, const char* field) {
  encode_elements(w, 2, 0xffff, ids, field);
}

void decode_node_id_list(byte_reader& r, std::vector<node_id>& ids, const char* field) {
  auto list = r.sub_prefixed(2, 0xffff, field);
  ids.clear();
  while (list.ok() && !list.empty()) {
    const auto id = decode_node_id(list, field);
    if (list.ok()) ids.push_back(id);
  }
}

}  // namespace p2psip::wire
