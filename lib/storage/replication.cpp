#include "storage/replication.hpp"

namespace p2psip::storage {

std::vector<wire::store_req> export_resource(const data_store& store,
                                             const wire::resource_id& resource,
                                             std::uint8_t replica_number, time_point now) {
  const auto now_ms = to_ms(now);
  std::vector<wire::store_req> out;
  for (const auto& entry : store.kinds_at(resource)) {
    std::vector<wire::stored_data> values;
    for (const auto& value : entry.values) {
      if (value.expired(now_ms)) continue;
      const auto remaining = (value.expires_ms - now_ms) / 1000;
      if (remaining == 0) continue;
      values.push_back(value.data);
      values.back().lifetime = static_cast<std::uint32_t>(remaining);
    }
    if (values.empty()) continue;
    wire::store_req request{.resource = resource,
                            .replica_number = replica_number,
                            .kind_data = {{entry.kind, entry.generation, std::move(values)}}};
    out.push_back(std::move(request));
  }
  return out;
}

}  // namespace p2psip::storage
