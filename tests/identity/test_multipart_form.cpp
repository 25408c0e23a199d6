#include <catch2/catch.hpp>

#include "identity/multipart_form.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;

TEST_CASE("multipart/form-data round trips names, types and binary data") {
  const std::string binary("\x30\x82\r\n--\0\xff", 9);
  const auto form = must(encode_multipart({{"username", "", "alice@example.org"},
                                           {"csr", "application/pkcs10", binary}}));
  CHECK(form.content_type.rfind("multipart/form-data; boundary=", 0) == 0);
  const auto parts = must(parse_multipart(form.content_type, form.body));
  REQUIRE(parts.size() == 2);
  CHECK(find_part(parts, "username")->data == "alice@example.org");
  CHECK(find_part(parts, "csr")->content_type == "application/pkcs10");
  CHECK(find_part(parts, "csr")->data == binary);
  CHECK(find_part(parts, "password") == nullptr);
}

TEST_CASE("a form written by another client parses (quoted boundary, filename, case)") {
  const std::string body =
      "preamble\r\n--XyZ\r\n"
      "content-disposition: form-data; filename=\"req.der\"; name=\"csr\"\r\n"
      "CONTENT-TYPE: Application/PKCS10\r\n\r\nDATA\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=nodeids\r\n\r\n2\r\n--XyZ--\r\n";
  const auto parts = must(parse_multipart("Multipart/Form-Data; charset=utf-8; boundary=\"XyZ\"", body));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "csr");
  CHECK(parts[0].content_type == "application/pkcs10");
  CHECK(parts[0].data == "DATA");
  CHECK(parts[1].name == "nodeids");
  CHECK(parts[1].data == "2");
}

TEST_CASE("malformed forms are refused with a reason") {
  const std::string type = "multipart/form-data; boundary=b";
  const std::string part = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n";
  const auto error = [](std::string_view t, std::string_view b) {
    const auto r = parse_multipart(t, b, 4);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == identity_errc::malformed_request);
    return r.error().detail;
  };
  CHECK_THAT(error("application/x-www-form-urlencoded", "a=b"), Catch::Contains("multipart"));
  CHECK_THAT(error("multipart/form-data", part), Catch::Contains("boundary"));
  CHECK_THAT(error(type, "no boundary here"), Catch::Contains("boundary"));
  CHECK_THAT(error(type, part), Catch::Contains("truncated"));
  CHECK_THAT(error(type, "--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--"),
             Catch::Contains("Content-Disposition"));
  CHECK_THAT(error(type, "--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--"),
             Catch::Contains("name"));
  CHECK_THAT(error(type, part + part + part + part + part + "--b--"), Catch::Contains("too many"));
  CHECK_THAT(error(type, "--b\r\nContent-Disposition: form-data; name=x\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\nAA==\r\n--b--"),
             Catch::Contains("Transfer-Encoding"));
}
