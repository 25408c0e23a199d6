#include "identity_test_util.hpp"

#include <cstdlib>
#include <sys/stat.h>

namespace p2psip::identity::test {

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "p2psip-identity-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

certificate_authority make_ca(time_point now) {
  return must(certificate_authority::in_memory(test_overlay, now));
}

issued_credentials enroll(certificate_authority& ca, const std::string& user,
                          std::size_t node_ids, key_algorithm algorithm, time_point now) {
  return must(ca.enroll_offline(user, node_ids, now, algorithm));
}

trust_policy ca_policy(const certificate_authority& ca) {
  trust_policy policy;
  policy.overlay = ca.overlay();
  policy.root_certs = {ca.root()};
  return policy;
}

unsigned file_mode(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace p2psip::identity::test
