// p2psip-ca: the overlay's enrollment CA (RFC 6940 §11.3).
//   p2psip-ca init   --dir D --overlay NAME [--rsa]
//   p2psip-ca serve  --dir D --listen ADDR:PORT [--url URL] [--overlay NAME]
//                    [--users FILE] [--max-node-ids N] [--config-lifetime-days N]
//                    [--certificate-lifetime SECONDS]
//   p2psip-ca issue  --dir D --user NAME [--nodeids N] --out-cert FILE
//                    (--csr FILE | --out-key FILE)
//   p2psip-ca passwd --users FILE --user NAME [--digest md5|sha256,md5|sha256]
//                    (password on stdin)
//   p2psip-ca token  --dir D --user NAME [--url URL]
// serve also answers GET /.well-known/reload-config with the overlay's §11.1
// configuration document, made from DIR/overlay.yaml and signed.
// Exit status: 0 done, 1 failed, 2 usage.
#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "configuration_publisher.hpp"
#include "identity/atomic_file.hpp"
#include "identity/certificate_authority.hpp"
#include "identity/certificate_request.hpp"
#include "identity/enrollment_server.hpp"
#include "identity/enrollment_tokens.hpp"
#include "identity/https_client.hpp"
#include "identity/password_file.hpp"

namespace {

using namespace p2psip::identity;
namespace fs = std::filesystem;

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr std::size_t max_input_file_bytes = 1024 * 1024;

const char* const usage_text =
    "usage: p2psip-ca init   --dir D --overlay NAME [--rsa]\n"
    "       p2psip-ca serve  --dir D --listen ADDR:PORT [--url URL] [--overlay NAME]\n"
    "                        [--users FILE] [--max-node-ids N] [--config-lifetime-days N]\n"
    "                        [--certificate-lifetime SECONDS]\n"
    "       p2psip-ca token  --dir D --user NAME [--url URL]\n"
    "       p2psip-ca issue  --dir D --user NAME [--nodeids N] --out-cert FILE\n"
    "                        (--csr FILE | --out-key FILE)\n"
    "       p2psip-ca passwd --users FILE --user NAME [--digest md5|sha256,md5|sha256]\n"
    "                        (reads the password from stdin)\n";

using options = std::map<std::string, std::string>;

int usage(const std::string& why) {
  std::cerr << "p2psip-ca: " << why << "\n" << usage_text;
  return exit_usage;
}

int failed(const identity_error& error) {
  std::cerr << "p2psip-ca: " << error.describe() << "\n";
  return exit_failed;
}

// --name value pairs; flags listed in `switches` take no value.
std::optional<options> parse_options(int argc, char** argv, const std::vector<std::string>& switches) {
  options out;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return std::nullopt;
    const std::string name = arg.substr(2);
    if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      out[name] = "";
    } else if (i + 1 < argc) {
      out[name] = argv[++i];
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::size_t> parse_size(const options& opts, const std::string& name,
                                      std::size_t fallback, std::size_t maximum = 1000) {
  const auto it = opts.find(name);
  if (it == opts.end()) return fallback;
  try {
    std::size_t used = 0;
    const auto value = std::stoul(it->second, &used);
    if (used != it->second.size() || value == 0 || value > maximum) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A new CA, and the overlay.yaml its configuration document is made from.
result<certificate_authority> create_ca(const options& opts) {
  auto ca = certificate_authority::init(opts.at("dir"), opts.at("overlay"),
                                        std::chrono::system_clock::now(),
                                        opts.contains("rsa") ? key_algorithm::rsa_2048
                                                             : key_algorithm::ecdsa_p256);
  if (!ca) return ca.error();
  const auto source = fs::path(opts.at("dir")) / "overlay.yaml";
  const auto text = p2psip::tools::configuration_publisher::initial_source(ca->overlay());
  if (auto saved = write_file_atomically(source, text, public_file_mode); !saved)
    return saved.error();
  return ca;
}

int run_init(const options& opts) {
  if (!opts.contains("dir") || !opts.contains("overlay"))
    return usage("init needs --dir and --overlay");
  auto ca = create_ca(opts);
  if (!ca) return failed(ca.error());
  std::cout << "created CA for overlay " << ca->overlay()
            << "; root-cert: " << (fs::path(opts.at("dir")) / "ca.crt").string() << " ("
            << to_string(fingerprint_of(ca->root())) << ")\n";
  return 0;
}

int run_serve(const options& opts) {
  if (!opts.contains("dir") || !opts.contains("listen")) return usage("serve needs --dir and --listen");
  const auto& listen = opts.at("listen");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage("--listen must be ADDR:PORT");
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(listen.substr(0, colon), ec);
  unsigned long port_number = 0;
  try {
    port_number = std::stoul(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return usage("--listen must be ADDR:PORT");
  }
  if (ec || port_number > 65535) return usage("--listen must be ADDR:PORT");
  const auto lifetime = parse_size(opts, "config-lifetime-days", 30);
  if (!lifetime) return usage("--config-lifetime-days must be 1..1000");

  // One command on the CA box: --overlay creates the CA on first start.
  const bool fresh = opts.contains("overlay") && !fs::exists(fs::path(opts.at("dir")) / "ca.crt");
  auto ca = fresh ? create_ca(opts) : certificate_authority::open(opts.at("dir"));
  if (!ca) return failed(ca.error());
  if (opts.contains("overlay") && opts.at("overlay") != ca->overlay()) {
    return usage("--overlay " + opts.at("overlay") + " is not this CA's overlay " + ca->overlay());
  }
  enrollment_policy policy;
  const auto max_node_ids = parse_size(opts, "max-node-ids", policy.max_node_ids);
  if (!max_node_ids) return usage("--max-node-ids must be 1..1000");
  policy.max_node_ids = *max_node_ids;
  // Short lifetimes exercise renewal (a node renews at two thirds).
  constexpr std::size_t ten_years = 10 * 366 * 86400;
  const auto certificate_lifetime = parse_size(
      opts, "certificate-lifetime",
      static_cast<std::size_t>(certificate_authority::default_node_lifetime.count()), ten_years);
  if (!certificate_lifetime || *certificate_lifetime < 30) {
    return usage("--certificate-lifetime must be 30 to " + std::to_string(ten_years) + " seconds");
  }
  policy.certificate_lifetime = std::chrono::seconds(*certificate_lifetime);
  if (opts.contains("users")) {
    auto users = password_file::load(opts.at("users"));
    if (!users) return failed(users.error());
    policy.users = std::move(*users);
  }

  auto tokens = enrollment_tokens::open(fs::path(opts.at("dir")) / "tokens");
  if (!tokens) return failed(tokens.error());
  policy.tokens = std::move(*tokens);

  // The URL boxes reach this server at: the enrollment-server of the
  // document, and a name its TLS certificate carries (§11.2).
  if (!opts.contains("url") && address.is_unspecified()) {
    return usage(
        "listening on all addresses: give --url https://HOST:PORT, how boxes reach this server");
  }
  std::optional<https_target> base;
  if (opts.contains("url")) {
    base = parse_https_url(opts.at("url"));
    if (!base || base->path != "/") return usage("--url must be https://HOST[:PORT]");
  }
  std::optional<p2psip::tools::configuration_publisher> publisher;
  policy.configuration_document = [&publisher]() { return publisher->current(); };

  boost::asio::io_context io;
  enrollment_server server(io, *ca, std::move(policy));
  const auto bound = server.listen({address, static_cast<std::uint16_t>(port_number)},
                                   {base ? base->host : address.to_string()});
  if (!bound) return failed(bound.error());
  const std::string host_text =
      address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  const std::string url =
      opts.contains("url") ? opts.at("url") : "https://" + host_text + ":" + std::to_string(*bound);
  auto made = p2psip::tools::configuration_publisher::create(*ca, opts.at("dir"), url + "/",
                                                             std::chrono::hours(24) * *lifetime);
  if (!made) {
    std::cerr << "p2psip-ca: " << made.error().describe() << "\n";
    return exit_failed;
  }
  publisher.emplace(std::move(*made));
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    io.stop();
  });
  // Scripts and tests read the bound port from this line (--listen ADDR:0).
  std::cout << "listening on " << address.to_string() << ":" << *bound << std::endl;
  io.run();
  return 0;
}

int run_issue(const options& opts) {
  if (!opts.contains("dir") || !opts.contains("user") || !opts.contains("out-cert") ||
      opts.contains("csr") == opts.contains("out-key")) {
    return usage("issue needs --dir, --user, --out-cert and one of --csr or --out-key");
  }
  const auto count = parse_size(opts, "nodeids", 1);
  if (!count) return usage("--nodeids must be 1..1000");
  auto ca = certificate_authority::open(opts.at("dir"));
  if (!ca) return failed(ca.error());
  const auto& user = opts.at("user");
  const auto now = std::chrono::system_clock::now();

  if (opts.contains("out-key")) {
    auto issued = ca->enroll_offline(user, *count, now);
    if (!issued) return failed(issued.error());
    if (auto saved = issued->key.save(opts.at("out-key")); !saved) return failed(saved.error());
    if (auto saved = issued->certificate.save(opts.at("out-cert")); !saved) return failed(saved.error());
    return 0;
  }
  auto text = read_file(opts.at("csr"), max_input_file_bytes);
  if (!text) return failed(text.error());
  auto csr = certificate_request::parse(*text);
  if (!csr) return failed(csr.error());
  if (csr->user_name() && *csr->user_name() != user) {
    return failed({identity_errc::invalid_user_name, "the CSR asks for " + *csr->user_name()});
  }
  auto nodes = ca->node_ids_for(user, *count);
  if (!nodes) return failed(nodes.error());
  auto cert = ca->issue_node_certificate(csr->public_key(), *nodes, user, now);
  if (!cert) return failed(cert.error());
  if (auto saved = cert->save(opts.at("out-cert")); !saved) return failed(saved.error());
  return 0;
}

int run_token(const options& opts) {
  if (!opts.contains("dir") || !opts.contains("user")) return usage("token needs --dir and --user");
  auto ca = certificate_authority::open(opts.at("dir"));
  if (!ca) return failed(ca.error());
  auto tokens = enrollment_tokens::open(fs::path(opts.at("dir")) / "tokens");
  if (!tokens) return failed(tokens.error());
  auto secret = tokens->issue(opts.at("user"));
  if (!secret) return failed(secret.error());
  const auto token = format_token({opts.at("user"), *secret, fingerprint_of(ca->root())});
  std::cout << token << "\n";
  // The one command for the box, when the server's URL is known.
  if (opts.contains("url")) {
    std::cerr << "on the box: p2psipd --overlay " << ca->overlay() << " --config-url "
              << opts.at("url") << "/.well-known/reload-config --token " << token << "\n";
  }
  return 0;
}

int run_passwd(const options& opts) {
  if (!opts.contains("users") || !opts.contains("user")) return usage("passwd needs --users and --user");
  // Which digest H(A1)s to keep: the challenge offers those (p2psip-ca(1)).
  // MD5 alone by default: Debian 12's SIPp and baresip stop at a SHA-256
  // challenge instead of answering the MD5 one beside it, and a phone must
  // never get a challenge it cannot answer.
  std::vector<digest_algorithm> digests;
  const std::string listed = opts.contains("digest") ? opts.at("digest") : "md5";
  for (std::size_t start = 0; start <= listed.size();) {
    const auto end = std::min(listed.find(',', start), listed.size());
    const auto name = listed.substr(start, end - start);
    const auto algorithm = name == "sha256" ? digest_algorithm::sha256 : digest_algorithm::md5;
    if ((name != "sha256" && name != "md5") ||
        std::find(digests.begin(), digests.end(), algorithm) != digests.end()) {
      return usage("--digest is sha256, md5 or sha256,md5");
    }
    digests.push_back(algorithm);
    start = end + 1;
  }
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) return usage("no password on stdin");
  auto line = password_file::make_entry(opts.at("user"), password,
                                        password_file::default_iterations, digests);
  if (!line) return failed(line.error());

  const fs::path path = opts.at("users");
  std::string kept;
  if (fs::exists(path)) {
    auto text = read_file(path, max_input_file_bytes * 16);
    if (!text) return failed(text.error());
    const std::string prefix = opts.at("user") + ":";
    std::size_t start = 0;
    while (start < text->size()) {
      const auto end = std::min(text->find('\n', start), text->size());
      const auto entry = text->substr(start, end - start);
      if (!entry.empty() && entry.rfind(prefix, 0) != 0) kept += entry + "\n";
      start = end + 1;
    }
  }
  if (auto saved = write_file_atomically(path, kept + *line + "\n", secret_file_mode); !saved) {
    return failed(saved.error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("no command");
  const std::string command = argv[1];
  const auto opts = parse_options(argc, argv, {"rsa"});
  if (!opts) return usage("options are --name value");
  if (command == "init") return run_init(*opts);
  if (command == "serve") return run_serve(*opts);
  if (command == "issue") return run_issue(*opts);
  if (command == "passwd") return run_passwd(*opts);
  if (command == "token") return run_token(*opts);
  return usage("unknown command " + command);
}
