// One offline message as stored in the SIP-INBOX Kind (sip_inbox.hpp): the
// DataValue of a dictionary entry. Big-endian, RFC 6940 presentation style.
// Version 1, in clear (what a sender stores when it knows no certificate of
// the recipient, and what version 2 seals):
//
//   struct {
//     uint8  version;                  // 1
//     uint64 sent_ms;                  // when the sender's daemon stored it
//     opaque from<0..2^16-1>;          // From URI (UTF-8)
//     opaque to<0..2^16-1>;            // the recipient's AOR
//     opaque content_type<0..2^8-1>;   // MIME type of body
//     opaque message_id<0..2^8-1>;     // the MESSAGE's Call-ID
//     opaque body<0..2^24-1>;
//   } InboxMessage;
//
// Version 2, sealed to the recipient's certificate: storing nodes see the
// metadata only (when, for whom, how large):
//
//   struct {
//     uint8  version;                  // 2
//     uint64 sent_ms;
//     opaque to<0..2^16-1>;
//     opaque sealed<1..2^24-1>;        // DER CMS AuthEnvelopedData
//   } SealedInboxMessage;              // (identity/enveloped_data.hpp) of a
//                                      // version-1 InboxMessage
//
// The sealed message's sent_ms and to must equal those outside. Both are
// read; a recipient reads old version-1 entries as before. The decoder is
// strict (no trailing bytes, known version) and fuzzed
// (tests/fuzz/fuzz_inbox_message.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::usage {

inline constexpr std::uint8_t inbox_message_version = 1;
inline constexpr std::uint8_t sealed_inbox_message_version = 2;

struct inbox_message {
  std::uint64_t sent_ms = 0;
  std::string from;
  std::string to;
  std::string content_type;
  std::string message_id;
  std::string body;
  // Non-empty: version 2, and from, content_type, message_id and body are
  // inside it (empty here).
  std::vector<std::uint8_t> sealed;
  friend bool operator==(const inbox_message&, const inbox_message&) = default;
};

void encode(wire::byte_writer& w, const inbox_message& m);
void decode(wire::byte_reader& r, inbox_message& m);

// The version-2 form of a clear message, for `recipient`'s key; nullopt (the
// reason in `why`) when it cannot be sealed.
std::optional<inbox_message> seal(const inbox_message& clear,
                                  const identity::node_certificate& recipient, std::string& why);
// The clear message inside a sealed one; nullopt (the reason in `why`) when
// it is not for this key, damaged, or its metadata disagree.
std::optional<inbox_message> open(const inbox_message& sealed, const identity::key_pair& key,
                                  const identity::node_certificate& certificate, std::string& why);

}  // namespace p2psip::usage
