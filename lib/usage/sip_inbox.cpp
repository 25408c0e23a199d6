#include "usage/sip_inbox.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "identity/atomic_file.hpp"
#include "runtime/logger.hpp"
#include "usage/certificate_store_usage.hpp"
#include "usage/sip_directory.hpp"
#include "wire/codec.hpp"
#include "wire/fetch.hpp"
#include "wire/id_hash.hpp"
#include "wire/store.hpp"

namespace p2psip::usage {

using runtime::log_level;
using runtime::logs;

namespace {

// A removed message stays this long as exists=false (§7.4.1.1: a newer
// storage_time wins), so that a replica holding it cannot bring it back.
constexpr std::uint32_t removed_lifetime_s = 300;
constexpr std::size_t max_ledger_bytes = std::size_t{4} << 20;
// CERTIFICATE_BY_USER: this node's certificate lives a day and is stored
// again at half of it; a failed Store is retried sooner. Fetches read the
// indices the default Kind holds (max-count 4).
constexpr std::chrono::seconds certificate_lifetime{24 * 3600};
constexpr std::chrono::seconds certificate_retry{30};
constexpr std::uint32_t certificate_indices = 4;

std::uint64_t unix_now_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

sip::offline_answer not_kept(const std::string& why) { return {0, {}, "not kept offline: " + why}; }

}  // namespace

struct sip_inbox::drain_job {
  std::string aor;
  std::string user;
  wire::resource_id resource;
  std::vector<stored_entry> queue;  // in sent order
};

sip_inbox::sip_inbox(overlay::overlay_node& node, identity::message_signer& node_signer,
                     recipient_signer recipient, deliverer deliver, sip_inbox_options options)
    : node_(node),
      node_signer_(node_signer),
      recipient_(std::move(recipient)),
      options_(std::move(options)),
      deliver_(std::move(deliver)) {
  load_ledger();
}

sip_inbox::~sip_inbox() { *alive_ = false; }

void sip_inbox::store(const sip::offline_message& m, std::function<void(sip::offline_answer)> done) {
  const std::string user = aor_resource_name(m.to);
  if (user.empty()) return done(not_kept("not a SIP AOR"));
  if (node_.state() != overlay::node_state::joined) return done(not_kept("node not joined"));
  if (options_.recipient_certificates == nullptr)
    return store_entry(m, std::nullopt, std::move(done));
  find_certificate(user, [this, alive = alive_, m, done = std::move(done)](
                             std::optional<identity::node_certificate> recipient) mutable {
    if (!*alive) return;
    if (!recipient) {
      logs.write(log_level::info, "sip: no certificate of " + m.to +
                                      " in CERTIFICATE_BY_USER: its offline MESSAGE is kept in "
                                      "clear");
    }
    store_entry(m, recipient, std::move(done));
  });
}

void sip_inbox::store_entry(const sip::offline_message& m,
                            const std::optional<identity::node_certificate>& recipient,
                            std::function<void(sip::offline_answer)> done) {
  const std::string user = aor_resource_name(m.to);
  const auto resource = wire::hash_resource_name(user);
  last_sequence_ = std::max(node_.wall_clock_ms(), last_sequence_ + 1);
  inbox_message message{last_sequence_, m.from, m.to, m.content_type, m.message_id, m.body, {}};
  if (recipient) {
    std::string why;
    auto sealed = seal(message, *recipient, why);
    if (!sealed) return done({513, "Message Too Large", "not sealed: " + why});
    message = std::move(*sealed);
  }
  auto bytes = wire::to_bytes(message);
  if (!bytes) return done({513, "Message Too Large", "the message does not fit an inbox entry"});

  wire::dictionary_key key(node_.self().bytes().begin(), node_.self().bytes().end());
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<std::uint8_t>(last_sequence_ >> shift));
  wire::stored_data data;
  data.storage_time = last_sequence_;
  data.lifetime = static_cast<std::uint32_t>(options_.lifetime.count());
  data.value.entry = wire::dictionary_entry{std::move(key), {true, std::move(*bytes)}};
  if (auto signed_ok = node_signer_.sign_stored_data(resource, inbox_kind, data); !signed_ok)
    return done(not_kept("signing: " + signed_ok.error().describe()));

  wire::store_req request;
  request.resource = resource;
  request.kind_data.push_back(
      {inbox_kind, wire::generation_counter{0}, std::vector<wire::stored_data>{std::move(data)}});
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::store_req, std::move(request)},
      [alive = alive_, to = m.to, done = std::move(done)](overlay::answer_result answer) {
        if (!*alive) return;
        if (answer) {
          logs.write(log_level::info, "sip: a MESSAGE for " + to + " kept in its inbox");
          return done({202, "Accepted", {}});
        }
        const auto& e = answer.error();
        using overlay::request_failure;
        if (e.failure == request_failure::error_response) {
          if (e.code == wire::reload_error_code::data_too_large)
            return done({513, "Message Too Large", "larger than an inbox entry: " + e.info});
          // storage_service's refusal past the Kind's max-count.
          if (e.code == wire::reload_error_code::forbidden &&
              e.info.find("max-count") != std::string::npos)
            return done({480, "Inbox Full", "the recipient's inbox is full: " + e.info});
          return done(not_kept(std::string(wire::to_string(e.code)) + " " + e.info));
        }
        return done(not_kept(overlay::to_string(e.failure)));
      });
}

void sip_inbox::find_certificate(
    const std::string& user, std::function<void(std::optional<identity::node_certificate>)> found) {
  const auto resource = wire::hash_resource_name(user);
  wire::stored_data_specifier specifier;
  specifier.kind = wire::well_known_kind::certificate_by_user;
  specifier.model_specifier = std::vector<wire::array_range>{{0, certificate_indices - 1}};
  wire::fetch_req request;
  request.resource = resource;
  request.specifiers.push_back(std::move(specifier));
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::fetch_req, std::move(request)},
      [this, alive = alive_, user, found = std::move(found)](overlay::answer_result answer) {
        if (!*alive) return;
        const auto* answered = answer ? std::get_if<wire::fetch_ans>(&answer->body.value) : nullptr;
        if (answered == nullptr) return found(std::nullopt);
        for (const auto& block : answered->kind_responses) {
          const auto* values = std::get_if<0>(&block.values);
          if (block.kind != wire::well_known_kind::certificate_by_user || values == nullptr)
            continue;
          for (const auto& data : *values) {
            const auto* entry = std::get_if<wire::array_entry>(&data.value.entry);
            if (entry == nullptr || !entry->value.exists) continue;
            auto certificate = identity::node_certificate::from_der(entry->value.value);
            if (!certificate) continue;
            // The storing node is not trusted: the chain and the name are checked here.
            auto verified = options_.recipient_certificates->verify(
                *certificate, {}, std::chrono::system_clock::now());
            if (!verified || verified->self_signed || verified->user_name != user) continue;
            return found(std::move(*certificate));
          }
        }
        found(std::nullopt);
      });
}

void sip_inbox::publish_certificate() {
  if (options_.recipient_certificates == nullptr || storing_certificate_ ||
      std::chrono::steady_clock::now() < next_certificate_store_) {
    return;
  }
  const auto& user = node_signer_.certificate().user_name();
  if (!user) return;
  const auto resource = wire::hash_resource_name(*user);
  auto data = certificate_value(node_signer_.certificate(), 0, node_.wall_clock_ms(),
                                static_cast<std::uint32_t>(certificate_lifetime.count()));
  if (auto signed_ok =
          node_signer_.sign_stored_data(resource, wire::well_known_kind::certificate_by_user, data);
      !signed_ok) {
    logs.write(log_level::warning,
               "sip: signing the certificate of " + *user + ": " + signed_ok.error().describe());
    next_certificate_store_ = std::chrono::steady_clock::now() + certificate_retry;
    return;
  }
  wire::store_req request;
  request.resource = resource;
  request.kind_data.push_back({wire::well_known_kind::certificate_by_user,
                               wire::generation_counter{0},
                               std::vector<wire::stored_data>{std::move(data)}});
  storing_certificate_ = true;
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::store_req, std::move(request)},
      [this, alive = alive_, user = *user,
       published = node_signer_.certificate().der()](overlay::answer_result answer) {
        if (!*alive) return;
        storing_certificate_ = false;
        const auto now = std::chrono::steady_clock::now();
        if (answer) {
          logs.write(log_level::info,
                     "sip: the certificate of " + user + " published in CERTIFICATE_BY_USER");
          // Renewed while this store was under way: the new one goes at once.
          const bool current = std::ranges::equal(published, node_signer_.certificate().der());
          next_certificate_store_ = current ? now + certificate_lifetime / 2 : now;
          return;
        }
        logs.write(log_level::warning, "sip: publishing the certificate of " + user + ": " +
                                           overlay::to_string(answer.error().failure) + " " +
                                           answer.error().info);
        next_certificate_store_ = now + certificate_retry;
      });
}

void sip_inbox::drain_waiting() {
  if (node_.state() != overlay::node_state::joined) return;
  publish_certificate();
  for (const auto& aor : std::exchange(waiting_, {})) drain(aor);
}

void sip_inbox::drain(const std::string& aor) {
  const std::string user = aor_resource_name(aor);
  if (user.empty()) return;
  if (node_.state() != overlay::node_state::joined) {
    waiting_.insert(aor);
    return;
  }
  if (!draining_.insert(aor).second) {
    again_.insert(aor);
    return;
  }
  auto job = std::make_shared<drain_job>();
  job->aor = aor;
  job->user = user;
  job->resource = wire::hash_resource_name(user);
  wire::stored_data_specifier specifier;
  specifier.kind = inbox_kind;
  specifier.model_specifier = std::vector<wire::dictionary_key>{};  // every entry
  wire::fetch_req request;
  request.resource = job->resource;
  request.specifiers.push_back(std::move(specifier));
  node_.send_request(
      {wire::destination::resource(job->resource)},
      {wire::message_code::fetch_req, std::move(request)},
      [this, alive = alive_, job](overlay::answer_result answer) {
        if (!*alive) return;
        std::vector<stored_entry> entries;
        if (!answer) {
          const auto& e = answer.error();
          if (e.failure != overlay::request_failure::error_response ||
              e.code != wire::reload_error_code::not_found) {
            logs.write(log_level::warning, "sip: fetching the inbox of " + job->aor + ": " +
                                               overlay::to_string(e.failure) + " " + e.info);
          }
          return finish(job->aor);
        }
        const auto* answered = std::get_if<wire::fetch_ans>(&answer->body.value);
        if (answered == nullptr) return finish(job->aor);
        for (const auto& block : answered->kind_responses) {
          if (block.kind != inbox_kind) continue;
          const auto* values = std::get_if<0>(&block.values);
          if (values == nullptr) continue;
          for (const auto& data : *values) {
            const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
            if (entry == nullptr || !entry->value.exists) continue;
            auto decoded = wire::from_bytes<inbox_message>(entry->value.value);
            if (!decoded) continue;  // not ours to read; it expires
            entries.push_back({entry->key, data.storage_time, std::move(*decoded)});
          }
        }
        fetched(job, std::move(entries));
      });
}

void sip_inbox::open_sealed(const std::string& user, std::vector<stored_entry>& entries) {
  auto* signer = recipient_ ? recipient_(user) : nullptr;
  std::erase_if(entries, [&](stored_entry& entry) {
    if (entry.message.sealed.empty()) return false;
    std::string why = "no identity here names " + user;
    auto clear = signer != nullptr ? open(entry.message, signer->key(), signer->certificate(), why)
                                   : std::nullopt;
    if (!clear) {
      logs.write(log_level::warning,
                 "sip: a sealed offline MESSAGE for " + user + " not opened: " + why);
      return true;
    }
    entry.message = std::move(*clear);
    return false;
  });
}

void sip_inbox::fetched(const std::shared_ptr<drain_job>& job, std::vector<stored_entry> entries) {
  open_sealed(job->user, entries);
  for (auto& entry : entries) {
    if (ledger_.count(ledger_id(job->resource, entry.key)) != 0) {
      remove(job->user, entry);  // delivered before; its removal did not hold
      continue;
    }
    job->queue.push_back(std::move(entry));
  }
  std::sort(job->queue.begin(), job->queue.end(), [](const auto& a, const auto& b) {
    return std::tie(a.message.sent_ms, a.key) < std::tie(b.message.sent_ms, b.key);
  });
  // Delivered from the back: reverse once so the oldest is there.
  std::reverse(job->queue.begin(), job->queue.end());
  deliver_next(job);
}

void sip_inbox::deliver_next(const std::shared_ptr<drain_job>& job) {
  if (job->queue.empty()) return finish(job->aor);
  const auto& next = job->queue.back();
  const auto& m = next.message;
  deliver_({m.from, m.to, m.content_type, m.body, m.message_id},
               [this, alive = alive_, job](bool delivered) {
                 if (!*alive) return;
                 if (!delivered) return finish(job->aor);
                 const auto entry = std::move(job->queue.back());
                 job->queue.pop_back();
                 ledger_[ledger_id(job->resource, entry.key)] =
                     unix_now_s() + static_cast<std::uint64_t>(options_.lifetime.count());
                 save_ledger();
                 remove(job->user, entry);
                 logs.write(log_level::info, "sip: an offline MESSAGE delivered to " + job->aor);
                 deliver_next(job);
               });
}

void sip_inbox::finish(const std::string& aor) {
  draining_.erase(aor);
  if (again_.erase(aor) != 0) drain(aor);
}

void sip_inbox::remove(const std::string& user, const stored_entry& entry) {
  auto* signer = recipient_ ? recipient_(user) : nullptr;
  if (signer == nullptr) {
    logs.write(log_level::debug, "sip: no identity of " + user +
                                     " may remove a delivered message; it stays until it expires");
    return;
  }
  const auto resource = wire::hash_resource_name(user);
  last_removal_time_ =
      std::max({node_.wall_clock_ms(), entry.storage_time + 1, last_removal_time_ + 1});
  wire::stored_data data;
  data.storage_time = last_removal_time_;
  data.lifetime = removed_lifetime_s;
  data.value.entry = wire::dictionary_entry{entry.key, {false, {}}};
  if (auto signed_ok = signer->sign_stored_data(resource, inbox_kind, data); !signed_ok) {
    logs.write(log_level::warning, "sip: signing an inbox removal: " + signed_ok.error().describe());
    return;
  }
  wire::store_req request;
  request.resource = resource;
  request.kind_data.push_back(
      {inbox_kind, wire::generation_counter{0}, std::vector<wire::stored_data>{std::move(data)}});
  std::vector<wire::generic_certificate> certificates;
  if (signer != &node_signer_) certificates.push_back(signer->generic_certificate());
  node_.send_request(
      {wire::destination::resource(resource)}, {wire::message_code::store_req, std::move(request)},
      [user](overlay::answer_result answer) {
        if (answer) return;
        logs.write(log_level::warning, "sip: removing a delivered message of " + user + ": " +
                                           overlay::to_string(answer.error().failure) + " " +
                                           answer.error().info);
      },
      std::move(certificates));
}

std::string sip_inbox::ledger_id(const wire::resource_id& resource,
                                 const wire::dictionary_key& key) const {
  return wire::to_hex(resource.bytes()) + ":" + wire::to_hex(key);
}

// One line per delivered message: "RESOURCE:KEY EXPIRY" (hex, Unix seconds).
void sip_inbox::load_ledger() {
  if (options_.ledger_file.empty()) return;
  auto text = identity::read_file(options_.ledger_file, max_ledger_bytes);
  if (!text) return;  // none yet (a damaged one costs at most a redelivery)
  std::istringstream lines(*text);
  std::string id;
  std::uint64_t expiry = 0;
  const auto now = unix_now_s();
  while (lines >> id >> expiry)
    if (expiry > now) ledger_[id] = expiry;
}

void sip_inbox::save_ledger() {
  const auto now = unix_now_s();
  std::erase_if(ledger_, [now](const auto& e) { return e.second <= now; });
  if (options_.ledger_file.empty()) return;
  std::string text;
  for (const auto& [id, expiry] : ledger_) text += id + " " + std::to_string(expiry) + "\n";
  if (auto written =
          identity::write_file_atomically(options_.ledger_file, text, identity::secret_file_mode);
      !written) {
    logs.write(log_level::warning,
               "sip: cannot save the inbox ledger: " + written.error().describe());
  }
}

}  // namespace p2psip::usage
