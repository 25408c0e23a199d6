// Shared fixtures for the storage suites: a real overlay PKI (CA-enrolled
// certificates, ECDSA signatures) wired to certificate_data_verifier, and
// builders for StoredData values and StoreReqs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "identity/certificate_authority.hpp"
#include "identity/certificate_cache.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"
#include "storage/certificate_data_verifier.hpp"
#include "storage/data_store.hpp"
#include "storage/kind_registry.hpp"
#include "storage/storage_service.hpp"

namespace p2psip::storage::test {

inline constexpr const char* test_overlay = "storage.test.example";

// The value, or the test fails with the error's description.
template <class T>
T must(identity::result<T> r) {
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

// A fixed "now" per test run; storage times are counted from it.
time_point test_now();
std::uint64_t now_ms();

// One overlay's trust side and a real verifier over it.
struct pki {
  identity::certificate_authority ca;
  identity::certificate_verifier certificates;
  identity::certificate_cache cache;
  identity::signature_verifier signatures{certificates, cache};
  certificate_data_verifier verifier{signatures, cache};

  pki();
  // A signer for `user` with a fresh certificate of `node_ids` Node-IDs,
  // signing as the one at `as_index`.
  identity::message_signer enroll(const std::string& user, std::size_t node_ids = 1,
                                  std::size_t as_index = 0);
};

// A storing peer of the test overlay: its own trust side (verifier and
// certificate cache, trusting `ca`), Kinds, store and service.
struct storing_peer {
  explicit storing_peer(const identity::certificate_authority& ca);
  identity::certificate_verifier certificates;
  identity::certificate_cache cache;
  identity::signature_verifier signatures{certificates, cache};
  certificate_data_verifier verifier{signatures, cache};
  kind_registry kinds = kind_registry::with_defaults();
  data_store store;
  storage_service service{kinds, store, verifier};

  answer<wire::store_ans> put(const wire::store_req& request,
                              std::span<const wire::generic_certificate> certs,
                              time_point at = test_now(),
                              std::optional<signer> request_signer = std::nullopt);
};

inline const std::string alice_user = "alice@storage.test.example";
inline const std::string bob_user = "bob@storage.test.example";

std::vector<std::uint8_t> bytes(std::string_view text);

// Unsigned values of each model; storage_time defaults to now.
wire::stored_data single_value(std::string_view text,
                               std::optional<std::uint64_t> storage_time = {},
                               std::uint32_t lifetime = 3600);
wire::stored_data array_value(std::uint32_t index, std::string_view text,
                              std::optional<std::uint64_t> storage_time = {},
                              std::uint32_t lifetime = 3600);
wire::stored_data dictionary_value(std::vector<std::uint8_t> key, std::string_view text,
                                   std::optional<std::uint64_t> storage_time = {},
                                   std::uint32_t lifetime = 3600);
// `data` with exists=false and an empty value: a removal (§7.4.1.3).
wire::stored_data removal(wire::stored_data data, std::uint64_t storage_time);

// Signs `data` for resource/kind with `signer` and returns it.
wire::stored_data signed_by(identity::message_signer& signer, const wire::resource_id& resource,
                            wire::kind_id kind, wire::stored_data data);

wire::store_req store_request(const wire::resource_id& resource, wire::kind_id kind,
                              std::vector<wire::stored_data> values, std::uint64_t generation = 0,
                              std::uint8_t replica_number = 0);

// The service's answer, or the test fails naming the error.
template <class T>
T ok(answer<T> a) {
  if (!a) {
    FAIL(wire::to_string(a.error().error_code)
         << ": " << std::string(a.error().error_info.begin(), a.error().error_info.end()));
  }
  return std::move(*a);
}

// The error code of a refused request (fails the test if it succeeded).
template <class T>
wire::reload_error_code refused(const answer<T>& a) {
  REQUIRE_FALSE(a);
  INFO(std::string(a.error().error_info.begin(), a.error().error_info.end()));
  return a.error().error_code;
}

// The DataValue text of a fetched StoredData.
std::string text_of(const wire::stored_data& data);

}  // namespace p2psip::storage::test
