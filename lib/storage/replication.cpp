#include "storage/replication.hpp"

#include "wire/byte_writer.hpp"

namespace p2psip::storage {

namespace {

std::size_t encoded_size(const wire::stored_data& value) {
  wire::byte_writer w;
  encode(w, value);
  return w.size();
}

}  // namespace

std::vector<wire::store_req> export_resource(const data_store& store,
                                             const wire::resource_id& resource,
                                             std::uint8_t replica_number, time_point now,
                                             std::size_t max_value_bytes) {
  const auto now_ms = to_ms(now);
  std::vector<wire::store_req> out;
  for (const auto& entry : store.kinds_at(resource)) {
    std::vector<wire::stored_data> values;
    std::size_t bytes = 0;
    const auto flush = [&] {
      if (values.empty()) return;
      out.push_back({.resource = resource,
                     .replica_number = replica_number,
                     .kind_data = {{entry.kind, entry.generation, std::move(values)}}});
      values = {};
      bytes = 0;
    };
    for (const auto& value : entry.values) {
      if (value.expired(now_ms)) continue;
      const auto remaining = (value.expires_ms - now_ms) / 1000;
      if (remaining == 0) continue;
      const auto size = encoded_size(value.data);
      if (bytes + size > max_value_bytes) flush();
      values.push_back(value.data);
      values.back().lifetime = static_cast<std::uint32_t>(remaining);
      bytes += size;
    }
    flush();
  }
  return out;
}

std::optional<std::pair<wire::store_req, wire::store_req>> split_in_half(
    const wire::store_req& request) {
  if (request.kind_data.size() != 1) return std::nullopt;
  const auto& block = request.kind_data.front();
  const auto* values = std::get_if<0>(&block.values);
  if (values == nullptr || values->size() < 2) return std::nullopt;
  const auto middle = values->begin() + static_cast<std::ptrdiff_t>(values->size() / 2);
  auto half = [&](auto from, auto to) {
    wire::store_req part{
        .resource = request.resource, .replica_number = request.replica_number, .kind_data = {}};
    part.kind_data.push_back(
        {block.kind, block.generation, std::vector<wire::stored_data>(from, to)});
    return part;
  };
  return std::pair{half(values->begin(), middle), half(middle, values->end())};
}

}  // namespace p2psip::storage
