#include "wire/security_block.hpp"

#include "wire/codec.hpp"

#include <utility>

namespace p2psip::wire {

namespace {

// The TLS enums are closed here: a signature made with an algorithm this
// node cannot name could never be verified, so it is rejected as malformed.
bool is_known(hash_algorithm h) { return h <= hash_algorithm::sha512; }
bool is_known(signature_algorithm s) { return s <= signature_algorithm::ecdsa; }

hash_algorithm decode_hash_algorithm(byte_reader& r, const char* field) {
  const auto h = static_cast<hash_algorithm>(r.u8(field));
  if (r.ok() && !is_known(h)) r.fail(codec_errc::unknown_type, field);
  return h;
}

void encode_hash_algorithm(byte_writer& w, hash_algorithm h, const char* field) {
  if (!is_known(h)) w.fail(codec_errc::invalid_value, field);
  w.u8(static_cast<std::uint8_t>(h));
}

bool carries_cert_hash(std::uint8_t identity_type) {
  return identity_type == static_cast<std::uint8_t>(signer_identity_type::cert_hash) ||
         identity_type == static_cast<std::uint8_t>(signer_identity_type::cert_hash_node_id);
}

}  // namespace

void encode(byte_writer& w, const signature_and_hash_algorithm& v) {
  encode_hash_algorithm(w, v.hash, "SignatureAndHashAlgorithm.hash");
  if (!is_known(v.signature)) w.fail(codec_errc::invalid_value, "SignatureAndHashAlgorithm.signature");
  w.u8(static_cast<std::uint8_t>(v.signature));
}

void decode(byte_reader& r, signature_and_hash_algorithm& v) {
  v.hash = decode_hash_algorithm(r, "SignatureAndHashAlgorithm.hash");
  const auto s = static_cast<signature_algorithm>(r.u8("SignatureAndHashAlgorithm.signature"));
  if (r.ok() && !is_known(s)) r.fail(codec_errc::unknown_type, "SignatureAndHashAlgorithm.signature");
  v.signature = s;
}

void encode(byte_writer& w, const signer_identity& v) {
  w.u8(v.type);
  const auto length = w.begin_prefixed(2);
  if (carries_cert_hash(v.type)) {
    encode_hash_algorithm(w, v.hash_alg, "SignerIdentityValue.hash_alg");
    w.opaque(1, 0, 0xff, v.hash, "SignerIdentityValue.certificate_hash");
  } else if (v.type == static_cast<std::uint8_t>(signer_identity_type::none)) {
    // "none" is empty on the wire; bytes here would be silently lost.
    if (!v.hash.empty()) w.fail(codec_errc::invalid_value, "SignerIdentityValue");
  } else if (v.type == static_cast<std::uint8_t>(signer_identity_type::invalid)) {
    w.fail(codec_errc::invalid_value, "SignerIdentity.identity_type");
  } else {
    w.fixed(v.hash);
  }
  w.end_prefixed(length, 0xffff, "SignerIdentity.length");
}

void decode(byte_reader& r, signer_identity& v) {
  signer_identity out;
  out.type = r.u8("SignerIdentity.identity_type");
  auto body = r.sub(r.u16("SignerIdentity.length"), "SignerIdentity.length");
  if (!r.ok()) return;
  if (carries_cert_hash(out.type)) {
    out.hash_alg = decode_hash_algorithm(body, "SignerIdentityValue.hash_alg");
    const auto hash = body.opaque(1, 0, 0xff, "SignerIdentityValue.certificate_hash");
    out.hash.assign(hash.begin(), hash.end());
    body.expect_end("SignerIdentity.length");
  } else if (out.type == static_cast<std::uint8_t>(signer_identity_type::none)) {
    body.expect_end("SignerIdentity.length");
  } else if (out.type == static_cast<std::uint8_t>(signer_identity_type::invalid)) {
    r.fail(codec_errc::unknown_type, "SignerIdentity.identity_type");
  } else {
    const auto raw = body.fixed(body.remaining(), "SignerIdentityValue");
    out.hash.assign(raw.begin(), raw.end());
  }
  v = std::move(out);
}

void encode(byte_writer& w, const signature& v) {
  encode(w, v.algorithm);
  encode(w, v.identity);
  w.opaque(2, 0, 0xffff, v.value, "Signature.signature_value");
}

void decode(byte_reader& r, signature& v) {
  decode(r, v.algorithm);
  decode(r, v.identity);
  const auto value = r.opaque(2, 0, 0xffff, "Signature.signature_value");
  v.value.assign(value.begin(), value.end());
}

// The certificate type is kept raw: RFC 6091's registry has grown since
// (raw public keys), and a node can ignore a certificate it cannot use.
void encode(byte_writer& w, const generic_certificate& v) {
  w.u8(v.type);
  w.opaque(2, 0, 0xffff, v.certificate, "GenericCertificate.certificate");
}

void decode(byte_reader& r, generic_certificate& v) {
  v.type = r.u8("GenericCertificate.type");
  const auto der = r.opaque(2, 0, 0xffff, "GenericCertificate.certificate");
  v.certificate.assign(der.begin(), der.end());
}

void encode(byte_writer& w, const security_block& v) {
  const auto certificates = w.begin_prefixed(2);
  for (const auto& c : v.certificates) encode(w, c);
  w.end_prefixed(certificates, 0xffff, "SecurityBlock.certificates");
  encode(w, v.signature);
}

void decode(byte_reader& r, security_block& v) {
  auto certificates = r.sub_prefixed(2, 0xffff, "SecurityBlock.certificates");
  decode_elements(certificates, v.certificates);
  decode(r, v.signature);
}

}  // namespace p2psip::wire
