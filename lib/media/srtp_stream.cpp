#include "media/srtp_stream.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "media/srtp_openssl_crypto.hpp"

namespace p2psip::media {

namespace {

// libsrtp's global state (its crypto kernel, with OpenSSL's AES-CM and
// HMAC-SHA1 in place of its own) is made once; neither step is thread-safe
// itself, call_once makes it so.
srtp_err_status_t init_once() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_fail;
  std::call_once(once, [] {
    status = srtp_init();
    if (status == srtp_err_status_ok) status = use_openssl_srtp_crypto();
  });
  return status;
}

srtp_outcome outcome_of(srtp_err_status_t status) noexcept {
  switch (status) {
    case srtp_err_status_ok: return srtp_outcome::ok;
    case srtp_err_status_auth_fail: return srtp_outcome::auth_failed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return srtp_outcome::replayed;
    case srtp_err_status_bad_param: return srtp_outcome::malformed;
    default: return srtp_outcome::failed;
  }
}

// RFC 4568 §6.2: the _32 suite shortens only the SRTP tag; SRTCP keeps 80
// bits (libsrtp: the 32-bit policy must not be used for RTCP).
void set_policy(srtp_policy_t& policy, const sdes_crypto& crypto, srtp_ssrc_type_t direction) {
  if (crypto.suite == srtp_suite::aes_cm_128_hmac_sha1_32) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
  }
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  policy.ssrc.type = direction;
  policy.window_size = 128;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
}

}  // namespace

const std::size_t srtp_stream::max_trailer = SRTP_MAX_TRAILER_LEN + 4;  // + E||SRTCP index

// One libsrtp session, freed with it.
struct srtp_stream::session {
  srtp_t ctx = nullptr;
  session() = default;
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session() {
    if (ctx) srtp_dealloc(ctx);
  }
  srtp_err_status_t create(const sdes_crypto& crypto, srtp_ssrc_type_t direction) {
    srtp_policy_t policy{};
    set_policy(policy, crypto, direction);
    // libsrtp copies the key into its own context at srtp_create.
    srtp_master_key::bytes_type key{};
    std::copy(crypto.key.bytes().begin(), crypto.key.bytes().end(), key.begin());
    policy.key = key.data();
    const auto status = srtp_create(&ctx, &policy);
    OPENSSL_cleanse(key.data(), key.size());
    if (status != srtp_err_status_ok) ctx = nullptr;
    return status;
  }
};

struct srtp_stream::sessions {
  session outbound;
  session inbound;
};

result<srtp_stream> srtp_stream::create(const sdes_crypto& outbound, const sdes_crypto& inbound) {
  if (const auto status = init_once(); status != srtp_err_status_ok) {
    return media_error{media_errc::srtp_failed, "srtp_init: " + std::to_string(status)};
  }
  auto s = std::make_unique<sessions>();
  if (const auto status = s->outbound.create(outbound, ssrc_any_outbound);
      status != srtp_err_status_ok) {
    return media_error{media_errc::srtp_failed, "outbound key: " + std::to_string(status)};
  }
  if (const auto status = s->inbound.create(inbound, ssrc_any_inbound);
      status != srtp_err_status_ok) {
    return media_error{media_errc::srtp_failed, "inbound key: " + std::to_string(status)};
  }
  return srtp_stream(std::move(s));
}

srtp_stream::srtp_stream(std::unique_ptr<sessions> s) noexcept : sessions_(std::move(s)) {}
srtp_stream::srtp_stream(srtp_stream&&) noexcept = default;
srtp_stream& srtp_stream::operator=(srtp_stream&&) noexcept = default;
srtp_stream::~srtp_stream() = default;

namespace {

using srtp_call = srtp_err_status_t (*)(srtp_t, void*, int*);

srtp_outcome apply(srtp_call call, srtp_t ctx, std::span<std::uint8_t> buffer, std::size_t& size,
                   std::size_t room) {
  if (!ctx || size > buffer.size() || buffer.size() - size < room) return srtp_outcome::malformed;
  int length = static_cast<int>(size);
  const auto outcome = outcome_of(call(ctx, buffer.data(), &length));
  if (outcome == srtp_outcome::ok) size = static_cast<std::size_t>(length);
  return outcome;
}

srtp_outcome apply(srtp_call call, srtp_t ctx, std::vector<std::uint8_t>& packet,
                   std::size_t room) {
  std::size_t size = packet.size();
  packet.resize(size + room);
  const auto outcome = apply(call, ctx, packet, size, room);
  packet.resize(outcome == srtp_outcome::ok ? size : packet.size() - room);
  return outcome;
}

}  // namespace

const char* to_string(srtp_outcome outcome) noexcept {
  switch (outcome) {
    case srtp_outcome::ok: return "ok";
    case srtp_outcome::auth_failed: return "auth_failed";
    case srtp_outcome::replayed: return "replayed";
    case srtp_outcome::malformed: return "malformed";
    case srtp_outcome::failed: return "failed";
  }
  return "?";
}

srtp_outcome srtp_stream::protect(std::span<std::uint8_t> buffer, std::size_t& size) {
  return apply(srtp_protect, sessions_->outbound.ctx, buffer, size, max_trailer);
}
srtp_outcome srtp_stream::protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size) {
  return apply(srtp_protect_rtcp, sessions_->outbound.ctx, buffer, size, max_trailer);
}
srtp_outcome srtp_stream::unprotect(std::span<std::uint8_t> buffer, std::size_t& size) {
  return apply(srtp_unprotect, sessions_->inbound.ctx, buffer, size, 0);
}
srtp_outcome srtp_stream::unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& size) {
  return apply(srtp_unprotect_rtcp, sessions_->inbound.ctx, buffer, size, 0);
}

srtp_outcome srtp_stream::protect(std::vector<std::uint8_t>& packet) {
  return apply(srtp_protect, sessions_->outbound.ctx, packet, max_trailer);
}
srtp_outcome srtp_stream::protect_rtcp(std::vector<std::uint8_t>& packet) {
  return apply(srtp_protect_rtcp, sessions_->outbound.ctx, packet, max_trailer);
}
srtp_outcome srtp_stream::unprotect(std::vector<std::uint8_t>& packet) {
  return apply(srtp_unprotect, sessions_->inbound.ctx, packet, 0);
}
srtp_outcome srtp_stream::unprotect_rtcp(std::vector<std::uint8_t>& packet) {
  return apply(srtp_unprotect_rtcp, sessions_->inbound.ctx, packet, 0);
}

}  // namespace p2psip::media
