#include "usage/app_bindings.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "identity/atomic_file.hpp"
#include "runtime/logger.hpp"
#include "wire/ids.hpp"

namespace p2psip::usage {

namespace json = boost::json;

std::string random_app_token() {
  std::array<std::uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no randomness for an app token");
  return wire::to_hex(bytes);
}

app_bindings::app_bindings(binder bind, std::chrono::seconds connection_expires,
                           std::filesystem::path lease_file)
    : bind_(std::move(bind)),
      connection_expires_(connection_expires),
      lease_file_(std::move(lease_file)) {
  load_leases();
}

namespace {

constexpr std::size_t max_lease_file_bytes = std::size_t{1} << 20;

// The file holds wall-clock times; leases run on the steady clock.
std::int64_t unix_seconds(app_clock::time_point at) {
  const auto wall =
      std::chrono::system_clock::now() +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(at - app_clock::now());
  return std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count();
}

app_clock::time_point steady_of(std::int64_t unix_s) {
  const auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(unix_s));
  return app_clock::now() +
         std::chrono::duration_cast<app_clock::duration>(wall - std::chrono::system_clock::now());
}

}  // namespace

void app_bindings::load_leases() {
  if (lease_file_.empty()) return;
  auto text = identity::read_file(lease_file_, max_lease_file_bytes);
  if (!text) return;  // none yet
  boost::system::error_code ec;
  const auto parsed = json::parse(*text, ec);
  const auto* top = parsed.if_object();
  const auto* format = top ? top->if_contains("format") : nullptr;
  const auto* leases = top ? top->if_contains("leases") : nullptr;
  if (ec || format == nullptr || *format != "p2psipd-app-leases" || leases == nullptr ||
      !leases->is_array()) {
    runtime::logs.write(runtime::log_level::warning,
                        "sip: " + lease_file_.string() + " is not an app lease file: ignored");
    return;
  }
  const auto now = app_clock::now();
  for (const auto& item : leases->as_array()) {
    const auto* lease = item.if_object();
    if (lease == nullptr) continue;
    const auto* aor = lease->if_contains("aor");
    const auto* token = lease->if_contains("token");
    const auto* until = lease->if_contains("until");
    if (aor == nullptr || !aor->is_string() || token == nullptr || !token->is_string() ||
        until == nullptr || !until->is_int64()) {
      continue;
    }
    const auto end = steady_of(until->as_int64());
    if (end <= now) continue;
    auto& a = apps_[std::string(token->as_string())];
    a.aor = std::string(aor->as_string());
    a.lease_end = end;
    a.bound_until = now;  // refreshed by the next tick
  }
  saved_leases_ = *text;
}

void app_bindings::save_leases() {
  if (lease_file_.empty()) return;
  json::array leases;
  for (const auto& [token, a] : apps_) {
    if (!a.lease_end) continue;
    leases.push_back(
        json::object{{"aor", a.aor}, {"token", token}, {"until", unix_seconds(*a.lease_end)}});
  }
  auto text = json::serialize(json::object{
      {"format", "p2psipd-app-leases"}, {"version", 1}, {"leases", std::move(leases)}});
  if (text == saved_leases_) return;
  if (auto written = identity::write_file_atomically(lease_file_, text, identity::secret_file_mode);
      !written) {
    runtime::logs.write(runtime::log_level::warning,
                        "sip: cannot save the app leases: " + written.error().describe());
    return;
  }
  saved_leases_ = std::move(text);
}

void app_bindings::claim(const std::string& aor, const control::client_handle& client,
                         std::optional<std::chrono::seconds> lease,
                         std::function<void(app_claim)> done) {
  // This client's own binding of the AOR, else a leased one nobody holds.
  std::string token;
  for (const auto& [t, a] : apps_) {
    if (a.aor != aor) continue;
    if (a.client.same_as(client)) {
      token = t;
      break;
    }
    if (token.empty() && a.lease_end && !a.client.connected()) token = t;
  }
  if (token.empty()) token = random_app_token();
  // A claim without a lease does not shorten one: a leased AOR stays
  // leased (and MESSAGEs to it kept offline) when its new client goes.
  if (const auto it = apps_.find(token); !lease && it != apps_.end() && it->second.lease_end) {
    const auto left =
        std::chrono::floor<std::chrono::seconds>(*it->second.lease_end - app_clock::now());
    if (left >= std::chrono::seconds{60}) lease = left;  // the front's minimum binding
  }
  const auto expires = std::min(lease.value_or(connection_expires_), connection_expires_);
  bind_(aor, token, expires,
        [this, alive = alive_, aor, token, client, lease,
         done = std::move(done)](const sip::app_binding_answer& answer) {
          app_claim out{answer.status,  answer.phrase,  aor,
                        answer.contact, answer.expires, lease.value_or(std::chrono::seconds{0})};
          if (!*alive) return done(out);
          const auto now = app_clock::now();
          if (answer.status != 200) return done(out);  // a new token was never kept
          const auto [at, added] = apps_.try_emplace(token);
          auto& a = at->second;
          const bool new_client = added || !a.client.same_as(client);
          a.aor = aor;
          a.client = client;
          a.lease_end = lease ? std::optional(now + *lease) : std::nullopt;
          a.bound_until = now + answer.expires;
          if (new_client) {
            client.on_close([this, alive, token, client] {
              if (*alive) client_closed(token, client);
            });
          }
          save_leases();
          done(out);
        });
}

bool app_bindings::release(const std::string& aor, const control::client_handle& client) {
  for (auto it = apps_.begin(); it != apps_.end(); ++it) {
    const auto& a = it->second;
    if (a.aor != aor || !(a.client.same_as(client) || (a.lease_end && !a.client.connected())))
      continue;
    bind_(aor, it->first, std::chrono::seconds{0}, [](const sip::app_binding_answer&) {});
    apps_.erase(it);
    save_leases();
    return true;
  }
  return false;
}

bool app_bindings::deliver(const sip::app_message& m) const {
  const auto it = apps_.find(m.token);
  if (it == apps_.end()) return false;
  return it->second.client.notify("sip.message.received", {{"message_id", m.message_id},
                                                           {"from", m.from},
                                                           {"to", m.to},
                                                           {"aor", it->second.aor},
                                                           {"content_type", m.content_type},
                                                           {"body", m.body}});
}

void app_bindings::client_closed(const std::string& token, const control::client_handle& client) {
  const auto it = apps_.find(token);
  if (it == apps_.end() || !it->second.client.same_as(client) || it->second.lease_end) return;
  bind_(it->second.aor, token, std::chrono::seconds{0}, [](const sip::app_binding_answer&) {});
  apps_.erase(it);
}

void app_bindings::tick(app_clock::time_point now) {
  std::vector<std::string> ended;
  for (auto& [token, a] : apps_) {
    const auto end = a.lease_end.value_or(now + connection_expires_);
    if (a.lease_end && now >= *a.lease_end) {
      ended.push_back(token);  // the front's binding expired with it
      continue;
    }
    const auto left = std::chrono::floor<std::chrono::seconds>(end - now);
    const bool due = a.bound_until < end && a.bound_until - now < connection_expires_ / 2;
    // The front refuses bindings under its minimum (60 s): the last stretch
    // of a lease is left to the binding bound before.
    if (!due || left < std::chrono::seconds{60}) continue;
    a.bound_until = now + std::min(left, connection_expires_);  // not asked again meanwhile
    bind_(a.aor, token, std::min(left, connection_expires_), [](const sip::app_binding_answer&) {});
  }
  for (const auto& token : ended) apps_.erase(token);
  if (!ended.empty()) save_leases();
}

}  // namespace p2psip::usage
