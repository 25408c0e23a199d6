#include "usage/sip_directory.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "identity/self_signed.hpp"
#include "runtime/logger.hpp"
#include "sip/bindings.hpp"
#include "wire/byte_reader.hpp"
#include "wire/codec.hpp"
#include "wire/id_hash.hpp"
#include "wire/store.hpp"

namespace p2psip::usage {

using runtime::log_level;
using runtime::logs;

namespace {

constexpr wire::kind_id sip_kind = wire::well_known_kind::sip_registration;
// A withdrawn entry is kept this long as exists=false, so that an older
// replica cannot bring the value back (§7.4.1.1: newer storage_time wins).
constexpr std::uint32_t withdrawn_lifetime_s = 60;
constexpr const char* not_joined = "not joined";

std::vector<std::uint8_t> encode_destinations(const std::vector<wire::destination>& list) {
  wire::byte_writer measure;
  wire::encode_destination_list(measure, list);
  if (!measure.ok()) return {};
  std::vector<std::uint8_t> out(measure.size());
  wire::byte_writer w{std::span<std::uint8_t>(out)};
  wire::encode_destination_list(w, list);
  return w.ok() ? out : std::vector<std::uint8_t>{};
}

}  // namespace

std::string aor_resource_name(std::string_view aor) {
  // normalize_aor: scheme case, <>, password, port and parameters dropped,
  // host lowercased, as the front names AORs; "sip:" then goes.
  const std::string text(aor);
  const bool has_scheme = text.find(':') != std::string::npos && text.find(':') < text.find('@');
  const auto normalized = sip::normalize_aor(has_scheme ? text : "sip:" + text);
  return normalized.size() > 4 ? normalized.substr(4) : std::string();
}

std::string gruu_token(const std::vector<wire::destination>& destinations) {
  const auto bytes = encode_destinations(destinations);
  if (bytes.empty()) return {};
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  std::replace(out.begin(), out.end(), '=', '~');
  return out;
}

std::optional<std::vector<wire::destination>> parse_gruu_token(std::string_view token) {
  if (token.empty() || token.size() % 4 != 0 || token.size() > 4096) return std::nullopt;
  std::string text(token);
  std::replace(text.begin(), text.end(), '~', '=');
  const auto padding = static_cast<std::size_t>(
      std::count(text.end() - std::min<std::size_t>(2, text.size()), text.end(), '='));
  std::vector<std::uint8_t> bytes(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(n) - padding);
  wire::byte_reader r(bytes);
  std::vector<wire::destination> out;
  wire::decode_destination_list(r, out);
  if (!r.ok() || out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> gruu_parameter(std::string_view uri) {
  std::size_t at = 0;
  while ((at = uri.find(';', at)) != std::string_view::npos) {
    ++at;
    if (uri.substr(at, 3) == "gr=") {
      const auto value = uri.substr(at + 3);
      return std::string(value.substr(0, value.find_first_of(";?>")));
    }
  }
  return std::nullopt;
}

std::optional<wire::node_id> terminal_node(const std::vector<wire::destination>& destinations) {
  for (auto it = destinations.rbegin(); it != destinations.rend(); ++it) {
    if (const auto* id = std::get_if<wire::node_id>(&it->value)) return *id;
    if (!std::holds_alternative<wire::opaque_id>(it->value)) return std::nullopt;
  }
  return std::nullopt;
}

std::string instance_gruu_token(const wire::node_id& node, std::string_view aor,
                                std::string_view instance) {
  std::string name(aor);
  name += ' ';
  name += instance;
  const auto digest = wire::hash_resource_name(name);
  return gruu_token({wire::destination::node(node), {*wire::opaque_id::from_span(digest.bytes())}});
}

wire::stored_data registration_value(const wire::node_id& key,
                                     const std::optional<wire::sip_registration>& registration,
                                     std::uint64_t storage_time_ms, std::uint32_t lifetime_s) {
  wire::stored_data data;
  data.storage_time = storage_time_ms;
  data.lifetime = lifetime_s;
  wire::data_value value;
  if (registration) {
    if (auto bytes = wire::to_bytes(*registration)) {
      value.exists = true;
      value.value = std::move(*bytes);
    }
  }
  data.value.entry = wire::dictionary_entry{
      wire::dictionary_key(key.bytes().begin(), key.bytes().end()), std::move(value)};
  return data;
}

std::vector<wire::sip_registration> registrations_in(const wire::fetch_ans& answer) {
  std::vector<wire::sip_registration> out;
  for (const auto& block : answer.kind_responses) {
    if (block.kind != sip_kind) continue;
    const auto* values = std::get_if<0>(&block.values);
    if (values == nullptr) continue;
    for (const auto& data : *values) {
      const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
      if (entry == nullptr || !entry->value.exists) continue;
      if (auto decoded = wire::from_bytes<wire::sip_registration>(entry->value.value)) {
        out.push_back(std::move(*decoded));
      }
    }
  }
  return out;
}

// --- sip_directory -------------------------------------------------------------

struct sip_directory::lookup_job {
  std::function<void(sip::lookup_result)> done;
  std::set<std::string> visited;  // resource names fetched
  std::vector<wire::node_id> nodes;
  std::size_t pending = 0;
  bool saw_values = false;
  bool only_self = false;
  std::optional<sip::lookup_status> failure;
  std::string reason;
};

sip_directory::sip_directory(overlay::overlay_node& node, identity::message_signer& node_signer,
                             sip_directory_options options)
    : node_(node), node_signer_(node_signer), options_(std::move(options)) {}

sip_directory::~sip_directory() { *alive_ = false; }

std::string sip_directory::publication_state(const std::string& aor) const {
  const auto it = unsettled_.find(aor);
  return it == unsettled_.end() ? std::string("stored") : it->second.state;
}

identity::message_signer* sip_directory::signer_for(const std::string& resource_name) {
  const auto& own = node_signer_.certificate().user_name();
  if (own && *own == resource_name) return &node_signer_;
  if (options_.account_signer) {
    if (auto* account = options_.account_signer(resource_name)) return account;
  }
  if (!options_.per_aor_identities) return nullptr;
  for (const auto& [name, signer] : recent_signers_) {
    if (name == resource_name) return signer.get();
  }
  auto key = identity::key_pair::derive(options_.aor_key_seed, resource_name);
  if (!key) {
    logs.write(log_level::warning, "sip: key for " + resource_name + ": " + key.error().describe());
    return nullptr;
  }
  return make_identity(resource_name, std::move(*key));
}

identity::message_signer* sip_directory::make_identity(const std::string& resource_name,
                                                       identity::key_pair key) {
  identity::self_signed_request request{.overlay = options_.overlay_name,
                                        .user_name = resource_name,
                                        .digest = options_.self_signed_digest};
  auto cert =
      identity::make_self_signed_certificate(key, request, std::chrono::system_clock::now());
  if (!cert) {
    logs.write(log_level::warning,
               "sip: identity for " + resource_name + ": " + cert.error().describe());
    return nullptr;
  }
  auto signer = identity::message_signer::create(std::move(key), std::move(*cert));
  if (!signer) {
    logs.write(log_level::warning,
               "sip: signer for " + resource_name + ": " + signer.error().describe());
    return nullptr;
  }
  constexpr std::size_t recent_signers = 16;  // a burst of refreshes, withdraws
  if (recent_signers_.size() == recent_signers) recent_signers_.pop_front();
  recent_signers_.emplace_back(resource_name,
                               std::make_unique<identity::message_signer>(std::move(*signer)));
  return recent_signers_.back().second.get();
}

void sip_directory::publish(const sip::binding_set& bindings) {
  ++changes_;
  pending_[bindings.aor] = {bindings, std::chrono::steady_clock::now()};
  if (node_.state() != overlay::node_state::joined) {
    unsettled_[bindings.aor] = {not_joined};
    return;
  }
  unsettled_.try_emplace(bindings.aor, unsettled{"storing"});
  publish_pending();
}

void sip_directory::store_bindings(const sip::binding_set& bindings) {
  wire::sip_registration_route route;
  // The preferences of the first contact that states any (§3.2: one value
  // per node, so one predicate for all of this node's contacts).
  for (const auto& c : bindings.contacts) {
    if (!c.contact_prefs.empty()) {
      route.contact_prefs = c.contact_prefs;
      break;
    }
  }
  route.destination_list = {wire::destination::node(node_.self())};
  const auto lifetime = std::max<std::int64_t>(bindings.lifetime().count(), 1);
  store(bindings.aor, wire::sip_registration{std::move(route)},
        static_cast<std::uint32_t>(std::min<std::int64_t>(lifetime, UINT32_MAX)));
}

void sip_directory::withdraw(const std::string& aor) {
  ++changes_;
  // Not joined: a value stored before a restart may still name this node.
  pending_[aor] = {std::nullopt, std::chrono::steady_clock::now()};
  unsettled_.erase(aor);
  publish_pending();
}

void sip_directory::publish_pending() {
  const auto now = std::chrono::steady_clock::now();
  while (node_.state() == overlay::node_state::joined && !pending_.empty() &&
         stores_in_flight_ < options_.max_stores_in_flight) {
    auto waiting = pending_.extract(pending_.begin());
    const std::string& aor = waiting.key();
    auto& entry = waiting.mapped();
    if (!entry.bindings) {
      store(aor, std::nullopt, withdrawn_lifetime_s);
      continue;
    }
    const auto waited = std::chrono::ceil<std::chrono::seconds>(now - entry.since);
    auto& contacts = entry.bindings->contacts;
    for (auto& c : contacts) c.expires -= waited;
    std::erase_if(contacts, [](const auto& c) { return c.expires.count() <= 0; });
    // All expired: the front withdraws the AOR on its own tick.
    if (!contacts.empty()) store_bindings(*entry.bindings);
  }
}

void sip_directory::store(const std::string& aor,
                          std::optional<wire::sip_registration> registration,
                          std::uint32_t lifetime_s) {
  const bool withdrawing = !registration;
  const std::string name = aor_resource_name(aor);
  if (name.empty()) return;  // not a SIP AOR: nothing to store
  auto* signer = signer_for(name);
  if (signer == nullptr) {
    if (withdrawing) {
      unsettled_.erase(aor);
      return;  // nothing was stored under a key of ours
    }
    logs.write(log_level::warning, "sip: no identity may store the registration of " + aor +
                                       " (USER-NODE-MATCH needs a certificate for that user)");
    unsettled_[aor] = {"refused: no identity for this user"};
    return;
  }
  const auto resource = wire::hash_resource_name(name);
  // Each value's storage_time must grow (§7.4.1.1: older ones are refused).
  last_storage_time_ = std::max(node_.wall_clock_ms(), last_storage_time_ + 1);
  auto data = registration_value(signer->node(), registration, last_storage_time_, lifetime_s);
  if (auto signed_ok = signer->sign_stored_data(resource, sip_kind, data); !signed_ok) {
    logs.write(log_level::warning, "sip: signing " + aor + ": " + signed_ok.error().describe());
    if (!withdrawing) unsettled_[aor] = {"refused: " + signed_ok.error().describe()};
    return;
  }
  wire::store_req request;
  request.resource = resource;
  request.kind_data.push_back(
      {sip_kind, wire::generation_counter{0}, std::vector<wire::stored_data>{std::move(data)}});
  std::vector<wire::generic_certificate> certificates;
  if (signer != &node_signer_) certificates.push_back(signer->generic_certificate());
  const auto number = ++stores_sent_;
  if (withdrawing) {
    unsettled_.erase(aor);
  } else {
    unsettled_[aor] = {"storing", number};
  }
  ++stores_in_flight_;
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::store_req, std::move(request)},
      [this, alive = alive_, aor, withdrawing, number](overlay::answer_result answer) {
        if (!*alive) return;
        --stores_in_flight_;
        std::string outcome;  // why the Store failed
        if (!answer) {
          const auto& e = answer.error();
          outcome = std::string("refused: ") + overlay::to_string(e.failure);
          if (e.failure == overlay::request_failure::error_response) {
            outcome += std::string(" ") + wire::to_string(e.code) + " " + e.info;
          }
          logs.write(log_level::warning,
                     "sip: " + std::string(withdrawing ? "withdrawing " : "publishing ") + aor +
                         ": " + outcome);
        } else {
          logs.write(log_level::debug, "sip: " + aor + (withdrawing ? " withdrawn" : " published"));
        }
        // Only the AOR's latest Store decides; a withdraw has erased it.
        if (auto it = unsettled_.find(aor); it != unsettled_.end() && it->second.store == number) {
          if (answer) {
            unsettled_.erase(it);
          } else {
            it->second.state = std::move(outcome);
          }
        }
        publish_pending();
      },
      std::move(certificates));
}

void sip_directory::lookup(const std::string& aor, std::function<void(sip::lookup_result)> done) {
  if (auto gr = gruu_parameter(aor)) {
    const auto destinations = parse_gruu_token(*gr);
    const auto node = destinations ? terminal_node(*destinations) : std::nullopt;
    sip::lookup_result result;
    if (!node) {
      result.status = sip::lookup_status::not_found;
      result.reason = "not a RELOAD GRUU of this overlay";
    } else if (*node == node_.self()) {
      // Ours, and the front found no local binding for it: gone.
      result.status = sip::lookup_status::not_found;
      result.reason = "GRUU of this node with no binding";
    } else {
      result.status = sip::lookup_status::found;
      result.nodes.push_back(*node);
    }
    return done(std::move(result));
  }
  if (node_.state() != overlay::node_state::joined) {
    return done({sip::lookup_status::overlay_down, {}, "node not joined to the overlay"});
  }
  const auto name = aor_resource_name(aor);
  if (name.empty()) return done({sip::lookup_status::not_found, {}, "not a SIP AOR"});
  auto job = std::make_shared<lookup_job>();
  job->done = std::move(done);
  job->visited.insert(name);
  fetch(job, name, 0);
}

void sip_directory::fetch(const std::shared_ptr<lookup_job>& job, const std::string& resource_name,
                          std::size_t depth) {
  ++job->pending;
  wire::stored_data_specifier specifier;
  specifier.kind = sip_kind;
  specifier.model_specifier = std::vector<wire::dictionary_key>{};  // §4.2: every entry
  wire::fetch_req request;
  request.resource = wire::hash_resource_name(resource_name);
  request.specifiers.push_back(std::move(specifier));
  auto destination = wire::destination::resource(request.resource);
  node_.send_request(
      {std::move(destination)}, {wire::message_code::fetch_req, std::move(request)},
      [this, alive = alive_, job, depth](overlay::answer_result answer) {
        if (!*alive) return;
        --job->pending;
        if (!answer) {
          const auto& e = answer.error();
          using overlay::request_failure;
          if (e.failure == request_failure::error_response &&
              e.code == wire::reload_error_code::not_found) {
            // Nothing stored there: not a failure of the lookup.
          } else if (e.failure == request_failure::timeout) {
            job->failure = sip::lookup_status::timeout;
            job->reason = "Fetch timed out";
          } else if (e.failure == request_failure::not_routable ||
                     e.failure == request_failure::stopped) {
            job->failure = sip::lookup_status::overlay_down;
            job->reason = "no route to the responsible peer";
          } else if (!job->failure) {
            job->failure = sip::lookup_status::unreachable;
            job->reason = std::string("Fetch failed: ") + overlay::to_string(e.failure) +
                          (e.info.empty() ? "" : " (" + e.info + ")");
          }
        } else if (const auto* fetched = std::get_if<wire::fetch_ans>(&answer->body.value)) {
          for (const auto& registration : registrations_in(*fetched)) {
            job->saw_values = true;
            if (const auto* route = std::get_if<wire::sip_registration_route>(&registration.data)) {
              const auto node = terminal_node(route->destination_list);
              if (!node) continue;
              if (*node == node_.self()) {
                job->only_self = true;
                continue;
              }
              if (std::find(job->nodes.begin(), job->nodes.end(), *node) == job->nodes.end()) {
                job->nodes.push_back(*node);
              }
            } else if (const auto* uri =
                           std::get_if<wire::sip_registration_uri>(&registration.data)) {
              // §4.2 step 2: dereference another AOR (bounded).
              const auto next = aor_resource_name(uri->uri);
              if (depth + 1 <= options_.max_depth && job->visited.size() < options_.max_fetches &&
                  job->visited.insert(next).second) {
                fetch(job, next, depth + 1);
              }
            }
          }
        }
        if (job->pending == 0) finish(*job);
      });
}

void sip_directory::finish(lookup_job& job) {
  sip::lookup_result result;
  if (!job.nodes.empty()) {
    result.status = sip::lookup_status::found;
    result.nodes = std::move(job.nodes);
  } else if (job.failure) {
    result.status = *job.failure;
    result.reason = job.reason;
  } else if (job.saw_values && !job.only_self) {
    result.status = sip::lookup_status::unreachable;
    result.reason = "registrations name no reachable node";
  } else {
    // Nothing, or only this node's own value (stale: the front has no
    // binding left for it).
    result.status = sip::lookup_status::not_found;
  }
  auto done = std::move(job.done);
  if (done) done(std::move(result));
}

}  // namespace p2psip::usage
