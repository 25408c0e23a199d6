// The registrar's bindings file (usage/bindings_store.hpp): the format's
// round trip, expiry on both clocks, strict refusal of damaged files, the
// 0600 mode, and moving a refused file aside. A restart over real daemons is
// tests/sip/test_p2psipd_sip_crash.sh's.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "usage/bindings_store.hpp"
#include "scoped_files.hpp"

using namespace p2psip;
using namespace std::chrono_literals;
using usage::clock_reading;
using usage::saved_aor;

namespace {

// Both clocks on whole seconds, so times survive the file's seconds.
const clock_reading t0{sip::sip_clock::time_point{std::chrono::hours(5)},
                       std::chrono::system_clock::time_point{std::chrono::seconds(1'700'000'000)}};

clock_reading later(std::chrono::seconds by) { return {t0.steady + by, t0.wall + by}; }

sip::contact_binding contact(std::string uri, std::chrono::seconds lifetime) {
  sip::contact_binding c;
  c.uri = std::move(uri);
  c.expires_at = t0.steady + lifetime;
  c.call_id = "call-" + c.uri;
  c.cseq = 42;
  return c;
}

std::vector<saved_aor> sample() {
  auto phone = contact("sip:alice@127.0.0.1:5070", 3600s);
  phone.instance = "urn:uuid:00000000-0000-1000-8000-000000000001";
  phone.reg_id = 1;
  phone.q_milli = 500;
  phone.feature_params = "audio;+sip.foo=\"bar\"";
  auto laptop = contact("sip:alice@127.0.0.1:5072;transport=tcp", 120s);
  return {{"sip:alice@office.example", {phone, laptop}},
          {"sip:bob@office.example", {contact("sip:bob@[::1]:5080", 60s)}}};
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const std::filesystem::path& p, const std::string& text, mode_t mode = 0600) {
  { std::ofstream(p) << text; }
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("the bindings file round-trips every field a binding keeps") {
  const auto text = usage::format_saved_bindings(sample(), t0);
  const auto parsed = usage::parse_saved_bindings(text, t0);
  REQUIRE(parsed.error.empty());
  CHECK(parsed.expired == 0);
  CHECK(parsed.aors == sample());
  // Absolute wall-clock expiry, so the steady clock's restart does not matter.
  CHECK(text.find("\"expires\":1700003600") != std::string::npos);
}

TEST_CASE("expiry is absolute: after a restart only the live remainder comes back") {
  const auto text = usage::format_saved_bindings(sample(), t0);
  // Read back 100 s later by a process whose steady clock started anew.
  const clock_reading restarted{sip::sip_clock::time_point{std::chrono::seconds(3)},
                                t0.wall + 100s};
  const auto parsed = usage::parse_saved_bindings(text, restarted);
  REQUIRE(parsed.error.empty());
  CHECK(parsed.expired == 1);  // bob's 60 s
  REQUIRE(parsed.aors.size() == 1);
  const auto& alice = parsed.aors[0].contacts;
  REQUIRE(alice.size() == 2);
  CHECK(alice[0].remaining(restarted.steady) == 3500s);
  CHECK(alice[1].remaining(restarted.steady) == 20s);

  const auto all_gone = usage::parse_saved_bindings(text, later(3600s));
  REQUIRE(all_gone.error.empty());
  CHECK(all_gone.aors.empty());
  CHECK(all_gone.expired == 3);
}

TEST_CASE("formatting leaves out expired contacts and AORs with none left") {
  const auto text = usage::format_saved_bindings(sample(), later(60s));
  CHECK(text.find("bob") == std::string::npos);
  const auto parsed = usage::parse_saved_bindings(text, later(60s));
  REQUIRE(parsed.aors.size() == 1);
  CHECK(parsed.aors[0].contacts.size() == 2);
}

TEST_CASE("a damaged bindings file is refused whole, naming what is wrong") {
  const auto good = usage::format_saved_bindings(sample(), t0);
  auto replaced = [&](const std::string& from, const std::string& to) {
    auto text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"", "not JSON"},
      {"[]", "not an object"},
      {good.substr(0, good.size() / 2), "not JSON"},
      {replaced("p2psipd-sip-bindings", "something-else"), "\"format\""},
      {replaced("\"version\":1", "\"version\":2"), "version 2 unknown"},
      {replaced("\"aors\":", "\"aorz\":"), "no \"aors\""},
      {replaced("\"q\":500", "\"q\":1001"), "aors[0].contacts[0]: \"q\" 1001 is out of range"},
      {replaced("\"q\":500", "\"q\":\"high\""), "\"q\" is not an integer"},
      {replaced("\"cseq\":42", "\"cseq\":-1"), "\"cseq\" -1 is out of range"},
      {replaced("\"uri\":\"sip:bob@[::1]:5080\"", "\"uri\":\"\""), "aors[1].contacts[0]: empty"},
      {replaced("\"aor\":\"sip:bob@office.example\"", "\"aor\":\"sip:alice@office.example\""),
       "aors[1]: sip:alice@office.example twice"},
      {replaced("\"aor\":\"sip:bob@office.example\"", "\"aor\":\"sip:bob@Office.Example:5060\""),
       "not a normalized AOR"},
      {replaced("\"params\":\"\"", "\"params\":7"), "\"params\" is not a string"},
      {replaced("\"reg-id\":1", "\"reg-id\":4294967296"), "\"reg-id\" 4294967296 is out of range"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    const auto parsed = usage::parse_saved_bindings(text, t0);
    CHECK(parsed.aors.empty());
    CHECK_THAT(parsed.error, Catch::Contains(why));
  }
}

TEST_CASE("saving writes a 0600 file atomically; loading reads it back") {
  p2psip::test::temp_dir dir;
  const auto file = dir.path() / usage::bindings_file_name;
  REQUIRE(usage::save_bindings(file, sample(), t0).empty());
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto loaded = usage::load_bindings(file, t0);
  CHECK(loaded.parsed.error.empty());
  CHECK(loaded.parsed.aors == sample());
  CHECK_FALSE(loaded.set_aside);

  // Saving again replaces it whole, still 0600.
  REQUIRE(usage::save_bindings(file, {}, t0).empty());
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(usage::load_bindings(file, t0).parsed.aors.empty());
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);  // no temp left
}

TEST_CASE("no bindings file is no bindings and no error") {
  p2psip::test::temp_dir dir;
  const auto loaded = usage::load_bindings(dir.path() / "sip-bindings", t0);
  CHECK(loaded.parsed.error.empty());
  CHECK(loaded.parsed.aors.empty());
  CHECK_FALSE(loaded.set_aside);
}

TEST_CASE("a corrupt or exposed bindings file is moved aside with its contents, not deleted") {
  p2psip::test::temp_dir dir;
  const auto file = dir.path() / "sip-bindings";
  SECTION("corrupt") {
    write_all(file, "{\"format\":\"p2psipd-sip-bindings\",\"vers");
    const auto loaded = usage::load_bindings(file, t0);
    CHECK_THAT(loaded.parsed.error, Catch::Contains("not JSON"));
    CHECK(loaded.parsed.aors.empty());
    REQUIRE(loaded.set_aside);
    CHECK(loaded.set_aside->filename() == "sip-bindings.bad-1700000000");
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK(read_all(*loaded.set_aside) == "{\"format\":\"p2psipd-sip-bindings\",\"vers");
  }
  SECTION("readable by others: its keys are no longer secret") {
    write_all(file, usage::format_saved_bindings(sample(), t0), 0644);
    const auto loaded = usage::load_bindings(file, t0);
    CHECK_THAT(loaded.parsed.error, Catch::Contains("expected 0600"));
    CHECK(loaded.parsed.aors.empty());
    REQUIRE(loaded.set_aside);
    CHECK(std::filesystem::exists(*loaded.set_aside));
  }
  SECTION("not a file") {
    std::filesystem::create_directory(file);
    const auto loaded = usage::load_bindings(file, t0);
    CHECK_FALSE(loaded.parsed.error.empty());
    CHECK(loaded.parsed.aors.empty());
  }
}
