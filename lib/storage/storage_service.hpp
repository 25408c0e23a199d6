// Answers Store, Fetch, Stat and Find (RFC 6940 §7.4) against a data_store.
// Pure request handling: no I/O, no clock (the caller passes `now`), no
// routing. The caller has already decided that this node should handle the
// request (responsible for the resource, or a plausible replica target for a
// replica Store, §7.4.1.1) and has verified the message's own signature; the
// response size limit (max_response_length) is the routing layer's.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/data_store.hpp"
#include "storage/kind_registry.hpp"
#include "storage/signer.hpp"
#include "storage/stored_data_verifier.hpp"
#include "wire/basic_result.hpp"
#include "wire/error_response.hpp"
#include "wire/fetch.hpp"
#include "wire/find.hpp"
#include "wire/stat.hpp"
#include "wire/store.hpp"

namespace p2psip::storage {

// An answer body, or the ErrorResponse to send instead.
template <class T>
using answer = wire::basic_result<T, wire::error_response>;

wire::error_response make_error(wire::reload_error_code code, const std::string& text);

struct store_context {
  time_point now;
  // The SecurityBlock certificates of the message carrying the StoreReq.
  std::span<const wire::generic_certificate> certificates;
  // The verified signer of the StoreReq message. For an original Store
  // (replica_number 0) it must satisfy each value's policy too (§7.3);
  // nullopt skips that check, for callers that already made it.
  std::optional<signer> request_signer;
  // The peers this node will replicate to, returned in every
  // StoreKindResponse (§7.4.1.2).
  std::vector<wire::node_id> replicas;
};

class storage_service {
 public:
  // All three must outlive the service.
  storage_service(const kind_registry& kinds, data_store& store,
                  stored_data_verifier& verifier) noexcept
      : kinds_(kinds), store_(store), verifier_(verifier) {}

  // §7.4.1. All-or-nothing: every value's signature, access policy and limits
  // and every Kind's generation and storage times are checked before
  // anything is stored. Errors: Unknown_Kind (error_info: the Kind-IDs),
  // Forbidden (signature, policy, anonymous data, max-count), Data_Too_Large
  // (max-size), Generation_Counter_Too_Low (error_info: a StoreAns with the
  // current generations), Data_Too_Old, Invalid_Message.
  answer<wire::store_ans> store(const wire::store_req& request, const store_context& context);

  // §7.4.2. Unexpired values only; gaps and absent keys come back as
  // synthesized nonexistent values.
  answer<wire::fetch_ans> fetch(const wire::fetch_req& request, time_point now) const;
  // §7.4.3: the same selection as fetch(), described by StoredMetaData.
  answer<wire::stat_ans> stat(const wire::stat_req& request, time_point now) const;
  // §7.4.4: per Kind, the first resource at or after the requested one in
  // ring order (so R(n+1) = Find(R(n) + 1) walks them all), or Resource-ID 0.
  answer<wire::find_ans> find(const wire::find_req& request, time_point now) const;

 private:
  answer<std::vector<wire::stored_data>> select(const wire::stored_data_specifier& specifier,
                                                const kind_definition& kind,
                                                const kind_entry* entry,
                                                std::uint64_t now_ms) const;
  std::optional<wire::error_response> check_value(const wire::resource_id& resource,
                                                  const kind_definition& kind,
                                                  const wire::stored_data& value, bool replica,
                                                  const store_context& context);
  std::optional<wire::error_response> check_generations(const wire::store_req& request) const;

  const kind_registry& kinds_;
  data_store& store_;
  stored_data_verifier& verifier_;
};

}  // namespace p2psip::storage
