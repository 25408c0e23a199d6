// overlay_provisioning's §11.2 fetch against a real HTTPS configuration
// server (identity's enrollment_server on 127.0.0.1): a valid document is
// saved; an invalid one (reader or §11.1.1 grammar) is discarded with the
// reason, and the document saved before is kept byte for byte.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "daemon/overlay_provisioning.hpp"
#include "identity/certificate_authority.hpp"
#include "identity/enrollment_server.hpp"
#include "identity/https_client.hpp"
#include "scoped_files.hpp"

using namespace p2psip;
using namespace p2psip::daemon;
namespace asio = boost::asio;
using p2psip::test::temp_dir;

namespace {

constexpr const char* overlay_name = "office.example";

template <class T, class E>
T must(wire::basic_result<T, E> r) {
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

// The CA's configuration server, serving whatever document is set.
class configuration_server {
 public:
  configuration_server() {
    identity::enrollment_policy policy;
    policy.configuration_document = [this] {
      const std::lock_guard lock(mutex_);
      return document_;
    };
    server_.emplace(io_, ca_, std::move(policy));
    port_ = must(server_->listen({asio::ip::make_address("127.0.0.1"), 0}, {"127.0.0.1"}));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~configuration_server() {
    asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void serve(std::string document) {
    const std::lock_guard lock(mutex_);
    document_ = std::move(document);
  }
  // A document signed by a configuration signer of this CA.
  std::string signed_document(std::uint16_t sequence) {
    const auto now = std::chrono::system_clock::now();
    auto issued = must(ca_.enroll_offline("configuration-signer@" + ca_.overlay(), 1, now));
    auto signer = must(
        identity::message_signer::create(std::move(issued.key), std::move(issued.certificate)));
    overlay_config overlay;
    overlay.name = overlay_name;
    overlay.bootstrap_nodes = {{"192.0.2.10", 6084}};
    overlay.kinds = {{wire::kind_id{1}, kind_data_model::dictionary,
                      kind_access_control::user_node_match, 10, 2000, std::nullopt}};
    document_issue issue;
    issue.sequence = sequence;
    issue.expiration = now + std::chrono::hours(1);
    issue.root_certs = {ca_.root()};
    issue.enrollment_servers = {"https://127.0.0.1:" + std::to_string(port_) + "/"};
    return must(write_overlay_document(overlay, issue, signer));
  }
  provisioning_settings settings() const {
    provisioning_settings s;
    s.overlay_name = overlay_name;
    s.configuration_url =
        "https://127.0.0.1:" + std::to_string(port_) + "/.well-known/reload-config";
    s.root = identity::fingerprint_of(ca_.root());
    s.timeout = std::chrono::seconds(5);
    return s;
  }
  std::uint16_t port() const { return port_; }

 private:
  identity::certificate_authority ca_ = must(
      identity::certificate_authority::in_memory(overlay_name, std::chrono::system_clock::now()));
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::optional<identity::enrollment_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::string document_;
};

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("an invalid fetched document is discarded and the saved one kept") {
  configuration_server server;
  temp_dir dir;
  const overlay_provisioning provisioning(dir.path(), server.settings());
  const auto now = std::chrono::system_clock::now();

  const auto good = server.signed_document(5);
  server.serve(good);
  const auto first = must(provisioning.fetch(nullptr, now));
  CHECK(first.sequence == 5);
  const auto saved_path = dir.path() / "overlay.xml";
  REQUIRE(file_text(saved_path) == good);

  const auto next = server.signed_document(6);
  const auto refuse = [&](const std::string& document, const std::string& reason) {
    server.serve(document);
    const auto fetched = provisioning.fetch(&first, now);
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().cause == provisioning_cause::bad_document);
    CHECK_THAT(fetched.error().describe(),
               Catch::StartsWith("bad configuration document: https://127.0.0.1:") &&
                   Catch::Contains(reason));
    // Nothing stored was lost.
    CHECK(file_text(saved_path) == good);
    const auto kept = provisioning.saved_document();
    REQUIRE(kept);
    CHECK(kept->sequence == 5);
  };
  SECTION("a required element missing") {
    const auto start = next.find("<max-count>");
    refuse(std::string(next).replace(start, next.find("<max-size>") - start, ""),
           "<kind> lacks <max-count>");
  }
  SECTION("a wrong type") {
    refuse(replaced(next, "<turn-density>1<", "<turn-density>300<"),
           "<turn-density>: '300' is not an integer in 0..255");
  }
  SECTION("what only the grammar refuses: an attribute bootstrap-node does not have") {
    refuse(replaced(next, "<bootstrap-node address", "<bootstrap-node weight=\"2\" address"),
           "does not follow the RFC 6940 §11.1.1 grammar: <bootstrap-node>: Invalid attribute "
           "weight for element bootstrap-node");
  }
  SECTION("the next valid document replaces it") {
    server.serve(next);
    CHECK(must(provisioning.fetch(&first, now)).sequence == 6);
    CHECK(file_text(saved_path) == next);
  }
}
