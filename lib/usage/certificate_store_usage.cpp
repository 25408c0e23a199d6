#include "usage/certificate_store_usage.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "runtime/logger.hpp"
#include "wire/id_hash.hpp"
#include "wire/store.hpp"

namespace p2psip::usage {

using runtime::log_level;
using runtime::logs;

wire::stored_data certificate_value(const identity::node_certificate& cert, std::uint32_t index,
                                    std::uint64_t storage_time_ms, std::uint32_t lifetime_s) {
  wire::stored_data data;
  data.storage_time = storage_time_ms;
  data.lifetime = lifetime_s;
  wire::data_value value;
  value.exists = true;
  value.value.assign(cert.der().begin(), cert.der().end());
  data.value.entry = wire::array_entry{index, std::move(value)};
  return data;
}

void certificate_store_usage::publish(std::vector<identity::message_signer*> accounts) {
  pending_ = std::move(accounts);
  dirty_ = true;
  publish_pending();
}

void certificate_store_usage::publish_pending() {
  if (!dirty_ || node_.state() != overlay::node_state::joined) return;
  dirty_ = false;
  std::vector<wire::stored_data> by_node;
  std::vector<wire::generic_certificate> signers;  // by_node's, for the storing peer
  const auto now = std::chrono::system_clock::now();
  for (auto* signer : pending_) {
    const auto& cert = signer->certificate();
    const auto user = cert.user_name();
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(cert.not_after() - now);
    if (!user || left.count() <= 0) continue;
    const auto lifetime =
        static_cast<std::uint32_t>(std::min<std::int64_t>(left.count(), UINT32_MAX));
    last_storage_time_ = std::max(node_.wall_clock_ms(), last_storage_time_ + 1);
    auto mine = certificate_value(cert, 0, last_storage_time_, lifetime);
    const auto user_resource = wire::hash_resource_name(*user);
    if (!signer->sign_stored_data(user_resource, wire::well_known_kind::certificate_by_user,
                                  mine)) {
      continue;
    }
    store(user_resource, wire::well_known_kind::certificate_by_user, {std::move(mine)},
          {signer->generic_certificate()});
    const auto node_resource =
        wire::hash_resource_name(std::span<const std::uint8_t>(signer->node().bytes()));
    auto shared = certificate_value(cert, static_cast<std::uint32_t>(by_node.size()),
                                    last_storage_time_, lifetime);
    if (signer->sign_stored_data(node_resource, wire::well_known_kind::certificate_by_node,
                                 shared)) {
      by_node.push_back(std::move(shared));
      signers.push_back(signer->generic_certificate());
    }
  }
  if (!by_node.empty()) {
    store(wire::hash_resource_name(std::span<const std::uint8_t>(pending_.front()->node().bytes())),
          wire::well_known_kind::certificate_by_node, std::move(by_node), std::move(signers));
  }
  pending_.clear();
}

void certificate_store_usage::store(const wire::resource_id& resource, wire::kind_id kind,
                                    std::vector<wire::stored_data> values,
                                    std::vector<wire::generic_certificate> certificates) {
  wire::store_req request;
  request.resource = resource;
  request.kind_data.push_back({kind, wire::generation_counter{0}, std::move(values)});
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::store_req, std::move(request)},
      [this, alive = alive_, kind](overlay::answer_result answer) {
        if (!*alive) return;
        if (answer) {
          logs.write(log_level::info,
                     "accounts: certificates stored (Kind " + std::to_string(kind.value) + ")");
          return;
        }
        ++failures_;
        logs.write(log_level::warning,
                   "accounts: storing certificates (Kind " + std::to_string(kind.value) + "): " +
                       overlay::to_string(answer.error().failure) + " " + answer.error().info);
      },
      std::move(certificates));
}

}  // namespace p2psip::usage
