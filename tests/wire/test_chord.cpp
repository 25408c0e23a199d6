#include "wire/chord.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

// Macros so that golden vectors can splice them in as string literals.
#define NODE_A "000102030405060708090a0b0c0d0e0f"
#define NODE_B "101112131415161718191a1b1c1d1e1f"
#define NODE_C "202122232425262728292a2b2c2d2e2f"

node_id id_a() { return *node_id::from_hex(NODE_A); }
node_id id_b() { return *node_id::from_hex(NODE_B); }
node_id id_c() { return *node_id::from_hex(NODE_C); }

const auto neighbors_golden =
    hex("00000e10"              // uptime: 3600 s
        "02"                    // type: neighbors
        "0010" NODE_A           // predecessors: 16 bytes, one NodeId
        "0020" NODE_B NODE_C);  // successors: 32 bytes, two NodeIds

chord_update neighbors_update() { return {3600, chord_neighbors{{id_a()}, {id_b(), id_c()}}}; }

}  // namespace

TEST_CASE("ChordUpdate: peer_ready has no lists") {
  const auto golden =
      hex("00000e10"  // uptime
          "01");      // type: peer_ready
  CHECK(test::round_trip(chord_update{3600, chord_peer_ready{}}) == golden);
  test::check_every_truncation_fails<chord_update>(golden);
  test::check_trailing_byte_fails<chord_update>(golden);
}

TEST_CASE("ChordUpdate: neighbors has predecessors and successors") {
  CHECK(test::round_trip(neighbors_update()) == neighbors_golden);
  test::check_every_truncation_fails<chord_update>(neighbors_golden);
  test::check_trailing_byte_fails<chord_update>(neighbors_golden);
}

TEST_CASE("ChordUpdate: full adds the fingers") {
  const chord_update full{7, chord_full{chord_neighbors{{id_a()}, {id_b()}}, {id_b(), id_c()}}};
  const auto golden =
      hex("00000007"              // uptime: 7 s
          "03"                    // type: full
          "0010" NODE_A           // predecessors
          "0010" NODE_B           // successors
          "0020" NODE_B NODE_C);  // fingers, ascending
  CHECK(test::round_trip(full) == golden);
  test::check_every_truncation_fails<chord_update>(golden);
  test::check_trailing_byte_fails<chord_update>(golden);
}

TEST_CASE("ChordUpdate: empty lists are zero-length prefixes") {
  CHECK(test::round_trip(chord_update{0, chord_neighbors{}}) == hex("00000000 02 0000 0000"));
}

TEST_CASE("ChordUpdate: malformed inputs") {
  SECTION("invalidChordUpdateType") {
    CHECK(test::decode_error_of<chord_update>(hex("00000e10 00")) == codec_errc::unknown_type);
  }
  SECTION("a type past full is not extensible") {
    CHECK(test::decode_error_of<chord_update>(hex("00000e10 04 0000 0000")) ==
          codec_errc::unknown_type);
  }
  SECTION("a list length past the end") {
    CHECK(test::decode_error_of<chord_update>(hex("00000e10 02 0020" NODE_A "0000")) ==
          codec_errc::length_past_end);
  }
  SECTION("a list length that splits a NodeId") {
    CHECK(test::decode_error_of<chord_update>(hex("00000e10 02 0011" NODE_A "00 0000")) ==
          codec_errc::truncated);
  }
  SECTION("encoding 4096 NodeIds (2^16 bytes) in one list") {
    auto r = to_bytes(chord_update{0, chord_neighbors{std::vector<node_id>(4096, id_a()), {}}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("ChordRouteQueryAns: a lone NodeId") {
  const auto golden = hex(NODE_B);  // next_peer
  CHECK(test::round_trip(chord_route_query_ans{id_b()}) == golden);
  test::check_every_truncation_fails<chord_route_query_ans>(golden);
  test::check_trailing_byte_fails<chord_route_query_ans>(golden);
}

TEST_CASE("ChordLeaveData: from_succ carries successors, from_pred predecessors") {
  const auto succ_golden =
      hex("01"                    // type: from_succ
          "0020" NODE_A NODE_B);  // successors
  CHECK(test::round_trip(chord_leave_data{chord_leave_from_succ{{id_a(), id_b()}}}) == succ_golden);
  test::check_every_truncation_fails<chord_leave_data>(succ_golden);
  test::check_trailing_byte_fails<chord_leave_data>(succ_golden);

  const auto pred_golden =
      hex("02"             // type: from_pred
          "0010" NODE_C);  // predecessors
  CHECK(test::round_trip(chord_leave_data{chord_leave_from_pred{{id_c()}}}) == pred_golden);
  test::check_every_truncation_fails<chord_leave_data>(pred_golden);
  test::check_trailing_byte_fails<chord_leave_data>(pred_golden);
}

TEST_CASE("ChordLeaveData: malformed inputs") {
  SECTION("invalidChordLeaveType") {
    CHECK(test::decode_error_of<chord_leave_data>(hex("00 0000")) == codec_errc::unknown_type);
  }
  SECTION("a type past from_pred") {
    CHECK(test::decode_error_of<chord_leave_data>(hex("03 0000")) == codec_errc::unknown_type);
  }
  SECTION("list length past the end") {
    CHECK(test::decode_error_of<chord_leave_data>(hex("01 0020" NODE_A)) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("CHORD contents pack into and out of the generic bodies") {
  SECTION("Update") {
    auto req = to_update_req(neighbors_update());
    REQUIRE(req);
    CHECK(req->overlay_specific_data == neighbors_golden);
    auto back = chord_update_of(*req);
    REQUIRE(back);
    CHECK(*back == neighbors_update());
  }
  SECTION("RouteQueryAns") {
    auto ans = to_route_query_ans(chord_route_query_ans{id_c()});
    REQUIRE(ans);
    CHECK(ans->overlay_specific_data == hex(NODE_C));
    auto back = chord_route_query_ans_of(*ans);
    REQUIRE(back);
    CHECK(back->next_peer == id_c());
  }
  SECTION("Leave") {
    const chord_leave_data data{chord_leave_from_pred{{id_b()}}};
    auto req = to_leave_req(id_a(), data);
    REQUIRE(req);
    CHECK(test::round_trip(*req) ==
          hex(NODE_A            // leaving_peer_id
              "0013"            // overlay_specific_data: 19 bytes
              "02 0010" NODE_B  // ChordLeaveData from_pred, one predecessor
              ));
    auto back = chord_leave_data_of(*req);
    REQUIRE(back);
    CHECK(*back == data);
  }
}

TEST_CASE("CHORD unpacking is strict and packing reports encode errors") {
  auto with_extra = neighbors_golden;
  with_extra.push_back(0);
  auto update = chord_update_of(update_req{with_extra});
  REQUIRE_FALSE(update);
  CHECK(update.error().code == codec_errc::trailing_bytes);

  auto next = chord_route_query_ans_of(route_query_ans{hex("0001")});
  REQUIRE_FALSE(next);
  CHECK(next.error().code == codec_errc::truncated);

  auto leave = chord_leave_data_of(leave_req{id_a(), hex("05 0000")});
  REQUIRE_FALSE(leave);
  CHECK(leave.error().code == codec_errc::unknown_type);

  auto packed = to_leave_req(id_a(), {chord_leave_from_succ{std::vector<node_id>(4096, id_a())}});
  REQUIRE_FALSE(packed);
  CHECK(packed.error().code == codec_errc::too_long_to_encode);
}
