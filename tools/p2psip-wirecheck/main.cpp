// p2psip-wirecheck: the RELOAD codec's self-check, and a decoder for messages
// captured in hex. Exit status: 0 all good, 1 a check or decode failed, 3 usage.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "sample_messages.hpp"
#include "wire/codec.hpp"
#include "wire/ip_address_port.hpp"

namespace {

using namespace p2psip;
using namespace p2psip::wire;

constexpr std::size_t max_message_size = 4 * 1024 * 1024;

void usage(std::FILE* out) {
  std::fputs(
      "usage: p2psip-wirecheck [--self-test]\n"
      "       p2psip-wirecheck --decode HEX\n"
      "Without arguments, encodes and decodes one message of every RELOAD type and\n"
      "checks RFC 6940's own examples byte for byte.\n",
      out);
}

// RFC 6940 §6.3.1.1 spells these encodings out.
bool check_rfc_examples() {
  bool ok = true;
  const auto ip = to_bytes(ip_address_port{ipv4_addr_port{0xc0000201, 6084}});
  const std::vector<std::uint8_t> ip_golden{0x01, 0x06, 0xc0, 0x00, 0x02, 0x01, 0x17, 0xc4};
  const bool ip_ok = ip && *ip == ip_golden;
  std::printf("  %-44s %s\n", "§6.3.1.1 IpAddressPort 192.0.2.1:6084", ip_ok ? "ok" : "FAIL");
  ok &= ip_ok;

  const std::vector<std::uint8_t> foo{'F', 'O', 'O'};
  std::vector<std::uint8_t> out(4);
  byte_writer w{std::span<std::uint8_t>(out)};
  w.opaque(1, 0, 255, foo, "ResourceId");
  const bool foo_ok = w.ok() && out == std::vector<std::uint8_t>{0x03, 0x46, 0x4f, 0x4f};
  std::printf("  %-44s %s\n", "§6.3.1.1 ResourceId \"FOO\" = 03 46 4f 4f", foo_ok ? "ok" : "FAIL");
  return ok && foo_ok;
}

bool self_test() {
  std::printf("%-16s %6s %9s %9s  %s\n", "message", "code", "body", "message", "round trip");
  bool ok = true;
  const data_model_lookup models(well_known_data_model);
  for (const auto& [name, body] : samples::every_body()) {
    auto msg = samples::wrap(body);
    const auto bytes = to_bytes(msg);
    if (bytes) msg.header.length = static_cast<std::uint32_t>(bytes->size());  // encode fills it
    std::string verdict = "ok";
    if (!bytes) {
      verdict = "FAIL encode: " + bytes.error().describe();
    } else if (const auto back = decode_message(*bytes, max_message_size); !back) {
      verdict = "FAIL decode: " + back.error().describe();
    } else if (!(*back == msg)) {
      verdict = "FAIL: decoded message differs";
    } else if (const auto decoded = decode_body(back->contents.code, back->contents.body, models);
               !decoded) {
      verdict = "FAIL body: " + decoded.error().describe();
    } else if (!(*decoded == body)) {
      verdict = "FAIL: decoded body differs";
    }
    ok &= verdict == "ok";
    std::printf("%-16s 0x%04x %9zu %9zu  %s\n", name.c_str(),
                static_cast<unsigned>(body.code), msg.contents.body.size(),
                bytes ? bytes->size() : 0, verdict.c_str());
  }
  std::printf("\nRFC 6940 examples:\n");
  ok &= check_rfc_examples();
  std::printf("\n%s\n", ok ? "codec self-check passed" : "codec self-check FAILED");
  return ok;
}

std::string compact_hex(const char* text) {
  std::string s;
  for (const char* p = text; *p != '\0'; ++p) {
    if (std::strchr(" \t\r\n:", *p) == nullptr) s.push_back(*p);
  }
  return s;
}

std::string describe(const destination& d) {
  struct visitor {
    std::string operator()(const node_id& id) const { return "node " + id.hex(); }
    std::string operator()(const resource_id& id) const { return "resource " + id.hex(); }
    std::string operator()(const opaque_id& id) const { return "opaque " + id.hex(); }
    std::string operator()(const compressed_id& id) const {
      return "compressed " + std::to_string(id.value);
    }
    std::string operator()(const unknown_destination& u) const {
      return "type " + std::to_string(u.type);
    }
  };
  return std::visit(visitor{}, d.value);
}

int decode_hex(const char* text) {
  const auto bytes = from_hex(compact_hex(text));
  if (!bytes) {
    std::fputs("p2psip-wirecheck: --decode wants an even number of hex digits\n", stderr);
    return 3;
  }
  const auto msg = decode_message(*bytes, max_message_size);
  if (!msg) {
    std::printf("invalid message: %s -> %s\n", msg.error().describe().c_str(),
                to_string(to_reload_error(msg.error().code)));
    return 1;
  }
  const auto& h = msg->header;
  std::printf("overlay        0x%08x\nconfig seq     %u\nttl            %u\nfragment       0x%08x\n"
              "length         %u\ntransaction id 0x%016llx\nmax response   %u\n",
              h.overlay.value, h.configuration_sequence.value, h.ttl, h.fragment, h.length,
              static_cast<unsigned long long>(h.transaction_id.value), h.max_response_length);
  for (const auto& d : h.via_list) std::printf("via            %s\n", describe(d).c_str());
  for (const auto& d : h.destination_list) std::printf("destination    %s\n", describe(d).c_str());
  std::printf("options        %zu\nmessage code   %s (0x%04x)\nbody           %zu bytes\n"
              "extensions     %zu\ncertificates   %zu\nsigner hash    %s\n",
              h.options.size(), to_string(msg->contents.code),
              static_cast<unsigned>(msg->contents.code), msg->contents.body.size(),
              msg->contents.extensions.size(), msg->security.certificates.size(),
              to_hex(msg->security.signature.identity.hash).c_str());
  const auto body = decode_body(msg->contents.code, msg->contents.body,
                                data_model_lookup(well_known_data_model));
  if (!body) {
    std::printf("body           invalid: %s -> %s\n", body.error().describe().c_str(),
                to_string(to_reload_error(body.error().code)));
    return 1;
  }
  std::printf("body           decoded\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1 || (argc == 2 && std::strcmp(argv[1], "--self-test") == 0)) {
    return self_test() ? 0 : 1;
  }
  if (argc == 3 && std::strcmp(argv[1], "--decode") == 0) return decode_hex(argv[2]);
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  usage(stderr);
  return 3;
}
