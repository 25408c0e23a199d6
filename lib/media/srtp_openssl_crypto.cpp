#include "media/srtp_openssl_crypto.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <new>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

namespace p2psip::media {

namespace {

// Fetched once: an implicit fetch per context would cost a lookup per call.
EVP_CIPHER* aes_128_ctr = nullptr;
EVP_MAC* hmac = nullptr;

constexpr int aes_key_size = 16;
constexpr int sha1_size = 20;

// ---- AES-CM-128 (RFC 3711 §4.1.1) ----
// libsrtp hands init the key followed by the 112-bit salt, and set_iv the
// per-packet IV (SSRC and index, already aligned); the counter block is
// (salt || 0x0000) XOR iv, the low 16 bits counting blocks from 0. OpenSSL's
// CTR counts on all 128 bits, the same for the 2^16 blocks a packet may have.
struct aes_cm_state {
  EVP_CIPHER_CTX* ctx = nullptr;
  std::array<std::uint8_t, 16> salt{};
};

extern const srtp_cipher_type_t aes_cm_128_type;

srtp_err_status_t aes_cm_alloc(srtp_cipher_pointer_t* cipher, int key_len, int /*tag_len*/) {
  if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT) return srtp_err_status_bad_param;
  auto* state = new (std::nothrow) aes_cm_state;
  if (state) state->ctx = EVP_CIPHER_CTX_new();
  auto* c = state && state->ctx
                ? new (std::nothrow)
                      srtp_cipher_t{&aes_cm_128_type, state, key_len, SRTP_AES_ICM_128}
                : nullptr;
  if (!c) {
    if (state) EVP_CIPHER_CTX_free(state->ctx);
    delete state;
    return srtp_err_status_alloc_fail;
  }
  *cipher = c;
  return srtp_err_status_ok;
}

srtp_err_status_t aes_cm_dealloc(srtp_cipher_pointer_t cipher) {
  auto* state = static_cast<aes_cm_state*>(cipher->state);
  EVP_CIPHER_CTX_free(state->ctx);  // wipes the key schedule
  OPENSSL_cleanse(state->salt.data(), state->salt.size());
  delete state;
  delete cipher;
  return srtp_err_status_ok;
}

srtp_err_status_t aes_cm_init(void* s, const std::uint8_t* key) {
  auto* state = static_cast<aes_cm_state*>(s);
  state->salt.fill(0);
  std::memcpy(state->salt.data(), key + aes_key_size, SRTP_SALT_LEN);
  if (EVP_EncryptInit_ex2(state->ctx, aes_128_ctr, key, nullptr, nullptr) != 1) {
    return srtp_err_status_init_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t aes_cm_set_iv(void* s, std::uint8_t* iv, srtp_cipher_direction_t /*dir*/) {
  auto* state = static_cast<aes_cm_state*>(s);
  std::array<std::uint8_t, 16> counter{};
  for (std::size_t i = 0; i < counter.size(); ++i) counter[i] = state->salt[i] ^ iv[i];
  // A new IV restarts the keystream at its first block (the key is kept).
  if (EVP_EncryptInit_ex2(state->ctx, nullptr, nullptr, counter.data(), nullptr) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

// CTR: encrypting and decrypting are the same keystream XOR, in place.
srtp_err_status_t aes_cm_crypt(void* s, std::uint8_t* buffer, unsigned int* octets) {
  auto* state = static_cast<aes_cm_state*>(s);
  int out = 0;
  if (*octets > static_cast<unsigned int>(INT_MAX) ||
      EVP_EncryptUpdate(state->ctx, buffer, &out, buffer, static_cast<int>(*octets)) != 1) {
    return srtp_err_status_cipher_fail;
  }
  *octets = static_cast<unsigned int>(out);
  return srtp_err_status_ok;
}

// RFC 3711 B.2: session key 2B7E1516..., salt F0F1...FD, index 0; the
// keystream's first two blocks (plaintext zeros).
const std::uint8_t aes_cm_kat_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
std::uint8_t aes_cm_kat_iv[16] = {};
const std::uint8_t aes_cm_kat_plaintext[32] = {};
const std::uint8_t aes_cm_kat_keystream[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
const srtp_cipher_test_case_t aes_cm_kat = {
    SRTP_AES_ICM_128_KEY_LEN_WSALT,
    aes_cm_kat_key,
    aes_cm_kat_iv,
    sizeof aes_cm_kat_plaintext,
    aes_cm_kat_plaintext,
    sizeof aes_cm_kat_keystream,
    aes_cm_kat_keystream,
    0,
    nullptr,
    0,
    nullptr,
};

const srtp_cipher_type_t aes_cm_128_type = {
    aes_cm_alloc,  aes_cm_dealloc,   aes_cm_init,
    nullptr,       aes_cm_crypt,     aes_cm_crypt,
    aes_cm_set_iv, nullptr,          "AES-128 counter mode on OpenSSL EVP",
    &aes_cm_kat,   SRTP_AES_ICM_128,
};

// ---- HMAC-SHA1 (RFC 3711 §4.2.1), the tag truncated to out_len ----
extern const srtp_auth_type_t hmac_sha1_type;

srtp_err_status_t hmac_alloc(srtp_auth_pointer_t* auth, int key_len, int out_len) {
  if (key_len < 0 || key_len > sha1_size || out_len < 0 || out_len > sha1_size) {
    return srtp_err_status_bad_param;
  }
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
  // No keystream prefix: the tag covers the packet alone.
  auto* a =
      ctx ? new (std::nothrow) srtp_auth_t{&hmac_sha1_type, ctx, out_len, key_len, 0} : nullptr;
  if (!a) {
    EVP_MAC_CTX_free(ctx);
    return srtp_err_status_alloc_fail;
  }
  *auth = a;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t auth) {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(auth->state));  // wipes the key
  delete auth;
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_init(void* s, const std::uint8_t* key, int key_len) {
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(static_cast<EVP_MAC_CTX*>(s), key, static_cast<std::size_t>(key_len), params) !=
      1) {
    return srtp_err_status_auth_fail;
  }
  return srtp_err_status_ok;
}

// Restarts with the key given to init.
srtp_err_status_t hmac_start(void* s) {
  if (EVP_MAC_init(static_cast<EVP_MAC_CTX*>(s), nullptr, 0, nullptr) != 1) {
    return srtp_err_status_auth_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_update(void* s, const std::uint8_t* buffer, int octets) {
  if (octets < 0 ||
      EVP_MAC_update(static_cast<EVP_MAC_CTX*>(s), buffer, static_cast<std::size_t>(octets)) != 1) {
    return srtp_err_status_auth_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t hmac_compute(void* s, const std::uint8_t* buffer, int octets, int tag_len,
                               std::uint8_t* tag) {
  if (tag_len < 0 || tag_len > sha1_size) return srtp_err_status_bad_param;
  if (const auto status = hmac_update(s, buffer, octets); status != srtp_err_status_ok) {
    return status;
  }
  std::array<std::uint8_t, sha1_size> mac{};
  std::size_t size = 0;
  if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(s), mac.data(), &size, mac.size()) != 1 ||
      size != mac.size()) {
    return srtp_err_status_auth_fail;
  }
  std::memcpy(tag, mac.data(), static_cast<std::size_t>(tag_len));
  return srtp_err_status_ok;
}

// RFC 2202 §3, test case 1.
const std::uint8_t hmac_kat_key[sha1_size] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                              0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                              0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
const std::uint8_t hmac_kat_data[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
const std::uint8_t hmac_kat_tag[sha1_size] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
                                              0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
                                              0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
const srtp_auth_test_case_t hmac_kat = {
    sizeof hmac_kat_key, hmac_kat_key, sizeof hmac_kat_data, hmac_kat_data, sizeof hmac_kat_tag,
    hmac_kat_tag,        nullptr,
};

const srtp_auth_type_t hmac_sha1_type = {
    hmac_alloc,
    hmac_dealloc,
    hmac_init,
    hmac_compute,
    hmac_update,
    hmac_start,
    "HMAC-SHA1 on OpenSSL EVP_MAC",
    &hmac_kat,
    SRTP_HMAC_SHA1,
};

}  // namespace

srtp_err_status_t use_openssl_srtp_crypto() {
  if (!aes_128_ctr) aes_128_ctr = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
  if (!hmac) hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!aes_128_ctr || !hmac) return srtp_err_status_init_fail;
  if (const auto status = srtp_replace_cipher_type(&aes_cm_128_type, SRTP_AES_ICM_128);
      status != srtp_err_status_ok) {
    return status;
  }
  return srtp_replace_auth_type(&hmac_sha1_type, SRTP_HMAC_SHA1);
}

}  // namespace p2psip::media
