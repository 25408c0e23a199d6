// Shared fixtures for the identity suites: a private temporary directory and
// a small overlay PKI.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "identity/certificate_authority.hpp"
#include "identity/certificate_verifier.hpp"

namespace p2psip::identity::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

inline constexpr const char* test_overlay = "overlay.test.example";

// The value, or the test fails with the error's description.
template <class T>
T must(result<T> r) {
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

certificate_authority make_ca(time_point now = std::chrono::system_clock::now());
// A key with a certificate from `ca` for one or more Node-IDs.
issued_credentials enroll(certificate_authority& ca, const std::string& user,
                          std::size_t node_ids = 1,
                          key_algorithm algorithm = key_algorithm::ecdsa_p256,
                          time_point now = std::chrono::system_clock::now());
trust_policy ca_policy(const certificate_authority& ca);

// Permission bits of a file (mode & 07777).
unsigned file_mode(const std::filesystem::path& path);

}  // namespace p2psip::identity::test
