#include "nat/turn_service.hpp"

#include <algorithm>
#include <array>

#include "storage/access_control.hpp"
#include "wire/codec.hpp"
#include "wire/fetch.hpp"
#include "wire/find.hpp"
#include "wire/store.hpp"

namespace p2psip::nat {
namespace {

using wire::message_code;

// §9: "NODE-MULTIPLE, with a maximum iteration of counter 20".
constexpr std::uint32_t max_density = 20;

}  // namespace

turn_service::turn_service(overlay::overlay_node& node, sign_function sign, wall_clock clock,
                           turn_service_options options)
    : node_(node), sign_(std::move(sign)), clock_(std::move(clock)), options_(options) {
  options_.density = std::min(options_.density, max_density);
}

turn_service::~turn_service() { alive_.reset(); }

void turn_service::publish(const wire::ip_address_port& where,
                           std::function<void(std::size_t stored)> round_done) {
  published_ = where;
  publishing_ = true;
  store_all(true, std::move(round_done));
  schedule_refresh();
}

void turn_service::withdraw(std::function<void()> done) {
  const bool was_publishing = std::exchange(publishing_, false);
  if (!was_publishing || !published_) {
    if (done) done();
    return;
  }
  store_all(false, [done = std::move(done)](std::size_t) {
    if (done) done();
  });
}

void turn_service::schedule_refresh() {
  // Half the lifetime: one lost refresh round leaves the values in place.
  node_.timers().schedule(options_.lifetime / 2, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired() || !publishing_) return;
    store_all(true, {});
    schedule_refresh();
  });
}

void turn_service::store_all(bool exists, std::function<void(std::size_t stored)> done) {
  struct round {
    std::size_t outstanding = 0;
    std::size_t stored = 0;
    std::function<void(std::size_t)> done;
  };
  auto state = std::make_shared<round>();
  state->done = std::move(done);
  const auto finish_one = [state](bool stored) {
    if (stored) ++state->stored;
    if (--state->outstanding == 0 && state->done) state->done(state->stored);
  };
  std::vector<wire::store_req> requests;
  for (std::uint32_t d = 1; d <= options_.density; ++d) {
    wire::turn_server server{static_cast<std::uint8_t>(d), *published_};
    auto value = wire::to_bytes(server);
    if (!value) continue;
    const auto resource = storage::node_multiple_resource(node_.self(), server.iteration);
    wire::stored_data data;
    data.storage_time = clock_();
    data.lifetime = static_cast<std::uint32_t>(options_.lifetime.count());
    // A withdrawn value is a tombstone: exists false, no bytes (§7.2).
    data.value.entry = wire::data_value{exists, exists ? std::move(*value)
                                                       : std::vector<std::uint8_t>{}};
    if (!sign_(resource, wire::well_known_kind::turn_service, data)) continue;
    wire::store_req request;
    request.resource = resource;
    request.kind_data.push_back({wire::well_known_kind::turn_service,
                                 wire::generation_counter{0},
                                 std::vector<wire::stored_data>{std::move(data)}});
    requests.push_back(std::move(request));
  }
  state->outstanding = requests.size();
  if (requests.empty()) {
    if (state->done) state->done(0);
    return;
  }
  for (auto& request : requests) {
    const auto resource = request.resource;
    node_.send_request({wire::destination::resource(resource)},
                       {message_code::store_req, std::move(request)},
                       [finish_one, alive = std::weak_ptr<bool>(alive_)](
                           overlay::answer_result answer) {
                         if (alive.expired()) return;
                         finish_one(answer && answer->body.code == message_code::store_ans);
                       });
  }
}

void turn_service::find(found_callback done, relay_filter wanted) {
  const auto now = node_.timers().now();
  std::erase_if(cache_, [&](const found_relay& r) { return now - r.seen > options_.lifetime; });
  find_at(options_.find_attempts, std::move(done), std::move(wanted), false);
}

void turn_service::forget(const wire::node_id& relay) {
  std::erase_if(cache_, [&](const found_relay& r) { return r.node == relay; });
}

void turn_service::find_at(int attempts_left, found_callback done, relay_filter wanted,
                           bool met_any) {
  if (attempts_left <= 0) {
    // No probe met a TURN-SERVICE resource: nothing is advertised now.
    if (!met_any) cache_.clear();
    done(cache_);
    return;
  }
  // §9: a Find at a random Resource-ID reaches a random peer, which names
  // the closest TURN-SERVICE resource it holds, if any.
  std::array<std::uint8_t, wire::node_id_length> bytes{};
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random_());
  const auto target = *wire::resource_id::from_span(bytes);
  wire::find_req request{target, {wire::well_known_kind::turn_service}};
  node_.send_request(
      {wire::destination::resource(target)}, {message_code::find_req, std::move(request)},
      [this, attempts_left, met_any, done = std::move(done), wanted = std::move(wanted),
       alive = std::weak_ptr<bool>(alive_)](overlay::answer_result answer) mutable {
        if (alive.expired()) return;
        const auto* found = answer ? std::get_if<wire::find_ans>(&answer->body.value) : nullptr;
        std::optional<wire::resource_id> closest;
        if (found != nullptr) {
          for (const auto& result : found->results) {
            const bool named = std::any_of(result.closest.bytes().begin(),
                                           result.closest.bytes().end(),
                                           [](std::uint8_t b) { return b != 0; });
            if (result.kind == wire::well_known_kind::turn_service && named) {
              closest = result.closest;
            }
          }
        }
        if (!closest) {
          return find_at(attempts_left - 1, std::move(done), std::move(wanted), met_any);
        }
        fetch_relay(*closest, [this, attempts_left, done = std::move(done),
                               wanted = std::move(wanted)]() mutable {
          const bool enough = wanted ? std::ranges::any_of(cache_, wanted) : !cache_.empty();
          if (!enough) return find_at(attempts_left - 1, std::move(done), std::move(wanted), true);
          done(cache_);
        });
      });
}

void turn_service::fetch_relay(const wire::resource_id& resource, std::function<void()> done) {
  wire::fetch_req request;
  request.resource = resource;
  request.specifiers.push_back(
      {wire::well_known_kind::turn_service, wire::generation_counter{0},
       wire::single_value_specifier{}});
  node_.send_request(
      {wire::destination::resource(resource)}, {message_code::fetch_req, std::move(request)},
      [this, done = std::move(done), alive = std::weak_ptr<bool>(alive_)](
          overlay::answer_result answer) {
        if (alive.expired()) return;
        const auto* fetched = answer ? std::get_if<wire::fetch_ans>(&answer->body.value) : nullptr;
        if (fetched != nullptr) {
          for (const auto& response : fetched->kind_responses) {
            const auto* values = std::get_if<0>(&response.values);
            if (values == nullptr) continue;
            for (const auto& data : *values) {
              const auto* value = std::get_if<wire::data_value>(&data.value.entry);
              if (value == nullptr) continue;
              if (!value->exists) {
                // Withdrawn (§7.2): its signer relays no more.
                if (options_.signer_of) {
                  if (const auto signer = options_.signer_of(data.signature)) forget(*signer);
                }
                continue;
              }
              if (auto server = wire::from_bytes<wire::turn_server>(value->value)) {
                remember(*server, options_.signer_of ? options_.signer_of(data.signature)
                                                     : std::nullopt);
              }
            }
          }
        }
        done();
      });
}

void turn_service::remember(const wire::turn_server& server,
                            std::optional<wire::node_id> node) {
  const auto now = node_.timers().now();
  const auto same = std::find_if(cache_.begin(), cache_.end(), [&](const found_relay& r) {
    return r.server.server_address == server.server_address;
  });
  if (same != cache_.end()) {
    same->seen = now;
    if (node) same->node = node;
    return;
  }
  if (cache_.size() >= options_.cache_size) {
    cache_.erase(std::min_element(cache_.begin(), cache_.end(),
                                  [](const auto& a, const auto& b) { return a.seen < b.seen; }));
  }
  cache_.push_back({server, node, now});
}

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

}  // namespace

wire::app_attach_ans turn_service::credentials_answer(
    const overlay_turn_credentials& credentials) {
  wire::app_attach_ans answer;
  answer.ufrag = bytes_of(credentials.username);
  answer.password = bytes_of(credentials.password);
  answer.application = turn_credentials_application;
  answer.role = bytes_of("passive");
  answer.candidates = credentials.candidates;
  return answer;
}

void turn_service::request_credentials(
    const wire::node_id& relay,
    std::function<void(wire::basic_result<overlay_turn_credentials, overlay::request_error>)>
        done) {
  wire::app_attach_req request;
  request.application = turn_credentials_application;
  request.role = bytes_of("active");
  node_.app_attach(relay, std::move(request),
                   [done = std::move(done), alive = std::weak_ptr<bool>(alive_)](auto answer) {
                     if (alive.expired()) return;
                     if (!answer) return done(answer.error());
                     // A REST username and password fit the opaque<0..255> fields.
                     done(overlay_turn_credentials{
                         std::string(answer->ufrag.begin(), answer->ufrag.end()),
                         std::string(answer->password.begin(), answer->password.end()),
                         answer->candidates});
                   });
}

}  // namespace p2psip::nat
