#include "storage_test_util.hpp"

namespace p2psip::storage::test {

time_point test_now() {
  static const time_point fixed =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return fixed;
}

std::uint64_t now_ms() { return to_ms(test_now()); }

pki::pki()
    : ca(must(identity::certificate_authority::in_memory(test_overlay,
                                                         test_now() - std::chrono::hours(1)))),
      certificates(identity::trust_policy{.overlay = test_overlay, .root_certs = {ca.root()}}) {}

identity::message_signer pki::enroll(const std::string& user, std::size_t node_ids,
                                     std::size_t as_index) {
  auto creds = must(ca.enroll_offline(user, node_ids, test_now() - std::chrono::hours(1)));
  const auto node = creds.certificate.node_ids().at(as_index);
  return must(identity::message_signer::create(std::move(creds.key), creds.certificate, node));
}

storing_peer::storing_peer(const identity::certificate_authority& ca)
    : certificates(identity::trust_policy{.overlay = test_overlay, .root_certs = {ca.root()}}) {}

answer<wire::store_ans> storing_peer::put(const wire::store_req& request,
                                          std::span<const wire::generic_certificate> certs,
                                          time_point at, std::optional<signer> request_signer) {
  return service.store(request, {.now = at,
                                 .certificates = certs,
                                 .request_signer = std::move(request_signer),
                                 .replicas = {}});
}

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

namespace {

wire::stored_data make(wire::stored_data_value value, std::optional<std::uint64_t> storage_time,
                       std::uint32_t lifetime) {
  wire::stored_data data;
  data.storage_time = storage_time.value_or(now_ms());
  data.lifetime = lifetime;
  data.value = std::move(value);
  return data;
}

wire::data_value present(std::string_view text) { return {true, bytes(text)}; }

}  // namespace

wire::stored_data single_value(std::string_view text, std::optional<std::uint64_t> storage_time,
                               std::uint32_t lifetime) {
  return make({present(text)}, storage_time, lifetime);
}

wire::stored_data array_value(std::uint32_t index, std::string_view text,
                              std::optional<std::uint64_t> storage_time, std::uint32_t lifetime) {
  return make({wire::array_entry{index, present(text)}}, storage_time, lifetime);
}

wire::stored_data dictionary_value(std::vector<std::uint8_t> key, std::string_view text,
                                   std::optional<std::uint64_t> storage_time,
                                   std::uint32_t lifetime) {
  return make({wire::dictionary_entry{std::move(key), present(text)}}, storage_time, lifetime);
}

wire::stored_data removal(wire::stored_data data, std::uint64_t storage_time) {
  std::visit(
      [](auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wire::data_value>) {
          e = {};
        } else {
          e.value = {};
        }
      },
      data.value.entry);
  data.storage_time = storage_time;
  return data;
}

wire::stored_data signed_by(identity::message_signer& signer, const wire::resource_id& resource,
                            wire::kind_id kind, wire::stored_data data) {
  const auto status = signer.sign_stored_data(resource, kind, data);
  if (!status) FAIL(status.error().describe());
  return data;
}

wire::store_req store_request(const wire::resource_id& resource, wire::kind_id kind,
                              std::vector<wire::stored_data> values, std::uint64_t generation,
                              std::uint8_t replica_number) {
  return {.resource = resource,
          .replica_number = replica_number,
          .kind_data = {{kind, wire::generation_counter{generation}, std::move(values)}}};
}

std::string text_of(const wire::stored_data& data) {
  const auto& value = data_value_of(data).value;
  return {value.begin(), value.end()};
}

}  // namespace p2psip::storage::test
