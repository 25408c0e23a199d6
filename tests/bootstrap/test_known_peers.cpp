// The last-known peers file: what is written reads back, bad lines are
// skipped with a warning naming them while the good ones are kept, and the
// file is private (0600) and replaced atomically.
#include <sys/stat.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "bootstrap/known_peers.hpp"
#include "scoped_files.hpp"

using namespace p2psip::bootstrap;
using p2psip::test::temp_dir;
namespace asio = boost::asio;

namespace {
p2psip::wire::node_id id(char fill) {
  return *p2psip::wire::node_id::from_hex(std::string(32, fill));
}
known_peer peer(char fill, const char* address, std::uint16_t port) {
  return {id(fill), {asio::ip::make_address(address), port}};
}
}  // namespace

TEST_CASE("known peers round-trip through their text form") {
  const std::vector<known_peer> peers{peer('a', "127.0.0.1", 6084), peer('b', "10.1.2.3", 40000),
                                      peer('c', "::1", 7000)};
  const auto parsed = parse_known_peers(format_known_peers(peers));
  CHECK(parsed.peers == peers);
  CHECK(parsed.warnings.empty());
}

TEST_CASE("bad lines are skipped with a warning; the good ones are kept") {
  const std::string good = std::string(32, 'a') + " 127.0.0.1 6084";
  const auto parsed = parse_known_peers("# comment\n\n" + good + "\n" +
                                        "nonsense\n" +                           // line 4
                                        std::string(31, 'a') + " 1.2.3.4 1\n" +  // line 5
                                        std::string(32, 'b') + " not-an-ip 1\n" +
                                        std::string(32, 'b') + " 1.2.3.4 0\n" +
                                        std::string(32, 'b') + " 1.2.3.4 70000\n");
  REQUIRE(parsed.peers.size() == 1);
  CHECK(parsed.peers[0] == peer('a', "127.0.0.1", 6084));
  REQUIRE(parsed.warnings.size() == 5);
  CHECK_THAT(parsed.warnings[0], Catch::StartsWith("line 4: expected"));
  CHECK_THAT(parsed.warnings[1], Catch::StartsWith("line 5: not a Node-ID"));
  CHECK_THAT(parsed.warnings[2], Catch::Contains("not an IP address: not-an-ip"));
  CHECK_THAT(parsed.warnings[3], Catch::Contains("not a port: 0"));
  CHECK_THAT(parsed.warnings[4], Catch::Contains("not a port: 70000"));
}

TEST_CASE("at most max_known_peers are written and read") {
  std::vector<known_peer> many;
  for (std::size_t i = 0; i < max_known_peers + 5; ++i) {
    many.push_back(peer('a', "127.0.0.1", static_cast<std::uint16_t>(1000 + i)));
  }
  CHECK(parse_known_peers(format_known_peers(many)).peers.size() == max_known_peers);
  std::string text;
  for (const auto& p : many) text += p.node_id.hex() + " 127.0.0.1 " + std::to_string(p.address.port()) + "\n";
  const auto parsed = parse_known_peers(text);
  CHECK(parsed.peers.size() == max_known_peers);
  CHECK(parsed.warnings.size() == 1);
}

TEST_CASE("the peers file is written 0600 and replaced whole") {
  temp_dir dir;
  const auto file = dir.path() / "peers";
  CHECK(load_known_peers(file).peers.empty());
  CHECK(load_known_peers(file).warnings.empty());
  REQUIRE(save_known_peers(file, {peer('a', "127.0.0.1", 1)}).empty());
  REQUIRE(save_known_peers(file, {peer('b', "127.0.0.2", 2)}).empty());
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(load_known_peers(file).peers == std::vector{peer('b', "127.0.0.2", 2)});
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator{}) == 1);  // no temp file left
}

TEST_CASE("an unwritable peers file is reported, not thrown") {
  temp_dir dir;
  CHECK_FALSE(save_known_peers(dir.path() / "missing" / "peers", {peer('a', "127.0.0.1", 1)}).empty());
}
