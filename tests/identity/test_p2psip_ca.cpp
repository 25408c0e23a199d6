// The real p2psip-ca program: init, passwd, issue, and serve on an ephemeral
// 127.0.0.1 port with a node enrolling against it, and the configuration
// document it serves (valid against RFC 6940 §11.1.1's grammar, an invalid
// one refused). P2PSIP_CA names the binary.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <fstream>
#include <sstream>

#include <boost/beast/http.hpp>

#include "daemon/overlay_document.hpp"
#include "identity/atomic_file.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/enrollment_client.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;

namespace {

std::string tool() {
  const char* path = std::getenv("P2PSIP_CA");
  REQUIRE(path != nullptr);
  return path;
}

// A running p2psip-ca with stdin and stdout piped; killed if still running.
class child {
 public:
  explicit child(std::vector<std::string> args) {
    args.insert(args.begin(), tool());
    int in[2];
    int out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = ::fdopen(out[0], "r");
  }
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdin_ >= 0) ::close(stdin_);
    if (stdout_ != nullptr) std::fclose(stdout_);
  }
  void write_stdin(const std::string& text) {
    REQUIRE(::write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(stdin_);
    stdin_ = -1;
  }
  std::string read_line() {
    char buf[512] = {};
    REQUIRE(std::fgets(buf, sizeof buf, stdout_) != nullptr);
    return buf;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  int wait() {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  FILE* stdout_ = nullptr;
};

int run(std::vector<std::string> args, const std::string& input = "") {
  child c(std::move(args));
  c.write_stdin(input);
  return c.wait();
}

// run(), with what the program writes on standard error in `errors`.
int run_capturing_errors(std::vector<std::string> args, const std::filesystem::path& file,
                         std::string& errors) {
  const int saved = ::dup(2);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, 2);
  ::close(fd);
  const int status = run(std::move(args));
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  errors = text.str();
  return status;
}

// GET /.well-known/reload-config from a p2psip-ca serving on `port`.
std::string served_document(std::uint16_t port, const node_certificate& root) {
  https_target target;
  target.host = "127.0.0.1";
  target.port = port;
  target.path = "/.well-known/reload-config";
  target.tls_name = "127.0.0.1";
  https_trust trust;
  trust.roots = {root};
  https_request request{boost::beast::http::verb::get, target.path, 11};
  request.set(boost::beast::http::field::host, "127.0.0.1");
  auto response = must(https_exchange(target, trust, std::move(request)));
  REQUIRE(response.result_int() == 200);
  return response.body();
}

std::uint16_t listening_port(child& server) {
  const auto line = server.read_line();
  REQUIRE(line.rfind("listening on 127.0.0.1:", 0) == 0);
  return static_cast<std::uint16_t>(std::stoul(line.substr(line.rfind(':') + 1)));
}

}  // namespace

TEST_CASE("p2psip-ca init, issue, passwd and serve work together") {
  test::temp_dir dir;
  const auto ca_dir = (dir.path() / "ca").string();
  const auto users = (dir.path() / "users").string();
  REQUIRE(run({"init", "--dir", ca_dir, "--overlay", "ca.test.example"}) == 0);
  CHECK(test::file_mode(dir.path() / "ca" / "ca.key") == 0600);
  CHECK(run({"init", "--dir", ca_dir, "--overlay", "ca.test.example"}) == 1);
  const auto root = must(node_certificate::load(dir.path() / "ca" / "ca.crt"));
  const certificate_verifier verifier({"ca.test.example", {root}, false});

  SECTION("offline issuance") {
    const auto key = (dir.path() / "bob.key").string();
    const auto crt = (dir.path() / "bob.crt").string();
    REQUIRE(run({"issue", "--dir", ca_dir, "--user", "bob@ca.test.example", "--nodeids", "2",
                 "--out-key", key, "--out-cert", crt}) == 0);
    CHECK(test::file_mode(key) == 0600);
    const auto cert = must(node_certificate::load(crt));
    CHECK(must(verifier.verify(cert, {}, std::chrono::system_clock::now())).node_ids.size() == 2);
    CHECK(EVP_PKEY_eq(must(key_pair::load(key)).native(), cert.public_key()) == 1);
  }

  SECTION("enrollment over HTTPS against the served CA") {
    REQUIRE(run({"passwd", "--users", users, "--user", "carol@ca.test.example"}, "pa55word\n") == 0);
    CHECK(test::file_mode(users) == 0600);
    child server({"serve", "--dir", ca_dir, "--listen", "127.0.0.1:0", "--users", users});
    const auto line = server.read_line();
    REQUIRE(line.rfind("listening on 127.0.0.1:", 0) == 0);
    const auto port = static_cast<std::uint16_t>(std::stoul(line.substr(line.rfind(':') + 1)));

    enrollment_request request;
    request.host = "127.0.0.1";
    request.port = port;
    request.overlay = "ca.test.example";
    request.root_certs = {root};
    request.user_name = "carol@ca.test.example";
    request.password = "pa55word";
    const auto key = must(key_pair::generate());
    const auto cert = must(enroll(request, key));
    CHECK(must(verifier.verify(cert, {}, std::chrono::system_clock::now())).user_name ==
          "carol@ca.test.example");
    request.password = "guess";
    CHECK(enroll(request, key).error().code == identity_errc::enrollment_refused);

    server.signal(SIGTERM);
    CHECK(server.wait() == 0);
  }
}

TEST_CASE("p2psip-ca reports usage errors with exit status 2") {
  CHECK(run({}) == 2);
  CHECK(run({"frobnicate"}) == 2);
  CHECK(run({"init", "--dir"}) == 2);
  CHECK(run({"serve", "--dir", "/nonexistent", "--listen", "nonsense"}) == 2);
}

TEST_CASE("p2psip-ca serve serves only a configuration document the §11.1.1 grammar accepts") {
  test::temp_dir dir;
  const auto ca_dir = (dir.path() / "ca").string();
  REQUIRE(run({"init", "--dir", ca_dir, "--overlay", "ca.test.example"}) == 0);
  const auto root = must(node_certificate::load(dir.path() / "ca" / "ca.crt"));
  const auto source = dir.path() / "ca" / "overlay.yaml";
  const auto write_source = [&](const std::string& max_count) {
    std::ofstream(source) << "overlay:\n  name: ca.test.example\n  root-cert: ca.crt\n"
                             "  kinds:\n    - {id: 4000, data-model: ARRAY, access-control: "
                             "USER-MATCH, max-count: "
                          << max_count << ", max-size: 100}\n";
  };
  // A Kind's max-count is an xsd:int: 3000000000 makes an invalid document.
  const std::string invalid_count = "3000000000";

  SECTION("the served document is valid; an edit making an invalid one keeps it") {
    write_source("22");
    child server({"serve", "--dir", ca_dir, "--listen", "127.0.0.1:0"});
    const auto port = listening_port(server);
    const auto document = served_document(port, root);
    const auto parsed =
        p2psip::daemon::parse_overlay_document(document, "ca.test.example", "served");
    REQUIRE(parsed);
    CHECK(parsed->overlay.kinds.at(0).max_count == 22);
    const auto sequence = parsed->sequence;

    write_source(invalid_count);
    // The edit is seen at the next request (the file's time changed).
    std::filesystem::last_write_time(source, std::filesystem::file_time_type::clock::now() +
                                                 std::chrono::seconds(2));
    CHECK(served_document(port, root) == document);
    CHECK(must(read_file(dir.path() / "ca" / "sequence", 16)) == std::to_string(sequence) + "\n");
    server.signal(SIGTERM);
    CHECK(server.wait() == 0);
  }
  SECTION("an invalid document at start: serve refuses, naming the reason") {
    write_source(invalid_count);
    std::string errors;
    CHECK(run_capturing_errors({"serve", "--dir", ca_dir, "--listen", "127.0.0.1:0"},
                               dir.path() / "errors", errors) == 1);
    CHECK_THAT(errors, Catch::Contains("overlay.yaml") && Catch::Contains("not served") &&
                           Catch::Contains("<max-count>: '3000000000'"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "ca" / "sequence"));
  }
}
