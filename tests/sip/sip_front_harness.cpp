// The real sip front with an in-process fake overlay directory, for the SIPp
// integration test: one daemon, local routing only. A worker thread plays the
// overlay io_context. Prints "UDP_PORT=<n> TCP_PORT=<n>" once listening and
// runs until SIGTERM/SIGINT.
//
// Fake directory answers: AOR user "slow" → timeout (408), "away" →
// unreachable (480), "down" → overlay down (503), anything else → not found.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "overlay_worker.hpp"
#include "sip/sip_front.hpp"

using namespace p2psip;

namespace {

struct fake_directory final : sip::overlay_directory {
  void publish(const sip::binding_set& b) override {
    std::fprintf(stderr, "harness: publish %s (%zu contacts)\n", b.aor.c_str(), b.contacts.size());
  }
  void withdraw(const std::string& aor) override {
    std::fprintf(stderr, "harness: withdraw %s\n", aor.c_str());
  }
  void lookup(const std::string& aor, std::function<void(sip::lookup_result)> done) override {
    sip::lookup_result r;
    if (aor.rfind("sip:slow@", 0) == 0)
      r.status = sip::lookup_status::timeout;
    else if (aor.rfind("sip:away@", 0) == 0)
      r.status = sip::lookup_status::unreachable;
    else if (aor.rfind("sip:down@", 0) == 0)
      r.status = sip::lookup_status::overlay_down;
    done(r);
  }
};

struct no_channel final : sip::node_channel {
  void open(const wire::node_id&,
            std::function<void(std::optional<sip::stream_endpoint>)> done) override {
    done(std::nullopt);
  }
  void on_unreachable(std::function<void(const wire::node_id&)>) override {}
};

volatile std::sig_atomic_t stop_flag = 0;
void on_signal(int) { stop_flag = 1; }

}  // namespace

int main(int argc, char** argv) {
  sip::sip_front_config cfg;
  cfg.listen_port = 0;
  cfg.auth = sip::auth_mode::never;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host")
      cfg.listen_host = v;
    else if (k == "--port")
      cfg.listen_port = static_cast<std::uint16_t>(std::atoi(v.c_str()));
    else if (k == "--min-expires")
      cfg.limits.min_expires = std::chrono::seconds(std::atoi(v.c_str()));
    else if (k == "--auth-db") {
      cfg.auth_db = v;
      cfg.auth = sip::auth_mode::always;
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--host H] [--port P] [--min-expires S] [--auth-db FILE]\n";
      return 3;
    }
  }
  auto node = wire::node_id::from_hex("0123456789abcdef0123456789abcdef");
  cfg.self = *node;
  cfg.gr_token = [](const std::string&, const std::string& instance) {
    return "g" + std::to_string(std::hash<std::string>{}(instance) % 100000);
  };
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  fake_directory dir;
  no_channel channel;
  // After dir: destroyed first, so what the front posted runs before dir goes.
  test::overlay_worker overlay;
  sip::sip_events ev;
  ev.on_registration = [](const sip::registration_info& r) {
    std::fprintf(stderr, "harness: event registration %s contacts=%zu\n", r.aor.c_str(),
                 r.contacts.size());
  };
  ev.on_dialog = [](const sip::dialog_info& d, bool ended) {
    std::fprintf(stderr, "harness: event dialog %s %s\n", d.call_id.c_str(),
                 ended ? "ended" : (d.confirmed ? "confirmed" : "early"));
  };
  try {
    sip::sip_front front(
        cfg, dir, channel, [&overlay](std::function<void()> f) { overlay.post(std::move(f)); }, ev);
    std::printf("UDP_PORT=%u TCP_PORT=%u\n", front.endpoints().udp.port,
                front.endpoints().tcp.port);
    std::fflush(stdout);
    while (!stop_flag) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    front.stop();
  } catch (const std::exception& e) {
    std::cerr << "harness: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
