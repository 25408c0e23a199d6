// §11.2's DNS SRV step: SRV answers parsed from the wire (compressed names,
// other record types skipped, "." dropped) and tried in RFC 2782 order. The
// lookup itself runs against a real DNS server in
// tests/daemon/test_p2psipd_config_srv.sh.
#include <catch2/catch.hpp>

#include <map>

#include "daemon/srv_lookup.hpp"

using namespace p2psip::daemon;

namespace {

void put16(std::vector<std::uint8_t>& out, unsigned value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void put_name(std::vector<std::uint8_t>& out, const std::vector<std::string>& labels) {
  for (const auto& label : labels) {
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
}

// An answer to _reload-config._tcp.office.example SRV (RFC 1035 §4.1).
std::vector<std::uint8_t> answer_message() {
  std::vector<std::uint8_t> m;
  put16(m, 0x1234);  // id
  put16(m, 0x8180);  // response, recursion desired and available, NOERROR
  put16(m, 1);       // questions
  put16(m, 4);       // answers
  put16(m, 0);
  put16(m, 0);
  put_name(m, {"_reload-config", "_tcp", "office", "example"});  // at offset 12
  put16(m, 33);
  put16(m, 1);
  const auto record = [&](unsigned type, const std::vector<std::uint8_t>& rdata) {
    put16(m, 0xc00c);  // the question's name
    put16(m, type);
    put16(m, 1);
    put16(m, 0);
    put16(m, 60);  // TTL
    put16(m, static_cast<unsigned>(rdata.size()));
    m.insert(m.end(), rdata.begin(), rdata.end());
  };
  const auto srv = [&](unsigned priority, unsigned weight, unsigned port,
                       const std::vector<std::uint8_t>& target) {
    std::vector<std::uint8_t> rdata;
    put16(rdata, priority);
    put16(rdata, weight);
    put16(rdata, port);
    rdata.insert(rdata.end(), target.begin(), target.end());
    record(33, rdata);
  };
  std::vector<std::uint8_t> ca;
  put_name(ca, {"ca", "office", "example"});
  srv(10, 5, 8443, ca);
  // "backup" followed by a pointer to "office.example" in the question (offset 32).
  std::vector<std::uint8_t> backup = {6, 'b', 'a', 'c', 'k', 'u', 'p', 0xc0, 32};
  srv(20, 0, 9443, backup);
  record(1, {192, 0, 2, 1});  // an A record: skipped
  srv(30, 0, 1, {0});         // ".": the service is not there
  return m;
}

}  // namespace

TEST_CASE("SRV answers are read from the wire, compressed names included") {
  const auto records = parse_srv_answer(answer_message());
  REQUIRE(records);
  CHECK(*records == std::vector<srv_record>{{10, 5, 8443, "ca.office.example"},
                                            {20, 0, 9443, "backup.office.example"}});
}

TEST_CASE("answers without a usable SRV record, or malformed, are errors saying so") {
  auto empty = answer_message();
  empty[7] = 0;      // no answers,
  empty.resize(52);  // the question alone
  const auto none = parse_srv_answer(empty);
  REQUIRE_FALSE(none);
  CHECK(none.error().no_records);
  CHECK(none.error().reason == "no SRV record");
  auto cut = answer_message();
  cut.resize(cut.size() - 20);
  const auto broken = parse_srv_answer(cut);
  REQUIRE_FALSE(broken);
  CHECK_FALSE(broken.error().no_records);
  CHECK(broken.error().reason == "the DNS answer does not parse");
}

TEST_CASE("targets are tried by priority, then weighted at random (RFC 2782)") {
  std::mt19937_64 random(42);
  const std::vector<srv_record> records = {{20, 0, 3, "c"}, {10, 90, 1, "a"}, {10, 10, 2, "b"}};
  std::map<std::string, int> first;
  for (int i = 0; i < 2000; ++i) {
    const auto order = srv_try_order(records, random);
    REQUIRE(order.size() == 3);
    CHECK(order[2].target == "c");  // the higher priority number last, always
    ++first[order[0].target];
  }
  // Weights 90:10 within priority 10: about 1800 and 200 of 2000.
  CHECK(first["a"] > 1650);
  CHECK(first["b"] > 100);
  CHECK(first["a"] + first["b"] == 2000);
}
