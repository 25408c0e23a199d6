#include "identity/node_certificate.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <deque>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "identity/atomic_file.hpp"

namespace p2psip::identity {
namespace {

// A certificate bundle of a few roots is far below this.
constexpr std::size_t max_certificate_file_bytes = 1024 * 1024;

std::optional<std::string_view> ia5_text(const ASN1_IA5STRING* s) {
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(s));
  const std::string_view text(data, static_cast<std::size_t>(ASN1_STRING_length(s)));
  // An embedded NUL would let "alice@x\0evil" pass as "alice@x" elsewhere.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  return text;
}

std::chrono::seconds seconds_between(time_point now, const ASN1_TIME* t) {
  int days = 0;
  int secs = 0;
  const auto now_t = std::chrono::system_clock::to_time_t(now);
  asn1_time_ptr now_asn1(ASN1_TIME_set(nullptr, now_t));
  ASN1_TIME_diff(&days, &secs, now_asn1.get(), t);
  return std::chrono::seconds(static_cast<long long>(days) * 86400 + secs);
}

// An unreadable time gives `unreadable`, chosen by the caller so that the
// window it bounds is empty.
time_point to_time_point(const ASN1_TIME* t, time_point unreadable) noexcept {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return unreadable;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// The certificates last built or parsed on this thread, found by their exact
// DER bytes. A registrar mints an AOR's certificate and parses it again when
// its own Store arrives (it is one of the storing nodes), and OpenSSL 3.0's
// d2i_X509 builds a decoder context per call (~120 µs). A handful suffices:
// the Stores in flight are bounded (sip_directory keeps 16).
class recent_certificates {
 public:
  std::optional<node_certificate> find(byte_span der) const {
    for (const auto& cert : entries_) {
      if (std::ranges::equal(cert.der(), der)) return cert;
    }
    return std::nullopt;
  }
  void add(const node_certificate& cert) {
    if (entries_.size() == capacity) entries_.pop_front();
    entries_.push_back(cert);
  }

 private:
  static constexpr std::size_t capacity = 64;
  std::deque<node_certificate> entries_;
};

recent_certificates& recent() {
  thread_local recent_certificates certificates;
  return certificates;
}

}  // namespace

node_certificate::node_certificate(const node_certificate& other)
    : der_(other.der_), node_uris_(other.node_uris_), user_name_(other.user_name_) {
  X509_up_ref(other.cert_.get());
  cert_.reset(other.cert_.get());
}

node_certificate& node_certificate::operator=(const node_certificate& other) {
  if (this != &other) *this = node_certificate(other);
  return *this;
}

result<node_certificate> node_certificate::adopt(x509_ptr cert) {
  node_certificate out;
  const int len = i2d_X509(cert.get(), nullptr);
  if (len <= 0) return openssl_error(identity_errc::malformed_certificate, "cannot encode");
  out.der_.resize(static_cast<std::size_t>(len));
  unsigned char* p = out.der_.data();
  i2d_X509(cert.get(), &p);

  int critical = 0;
  general_names_ptr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &critical, nullptr)));
  if (!names && critical != -1) {
    return identity_error{identity_errc::malformed_certificate, "unreadable subjectAltName"};
  }
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_URI) {
      const auto uri = ia5_text(name->d.uniformResourceIdentifier);
      if (!uri) return identity_error{identity_errc::malformed_certificate, "NUL in URI"};
      if (!has_reload_scheme(*uri)) continue;
      auto parsed = parse_node_uri(*uri);
      if (!parsed) {
        return identity_error{identity_errc::malformed_certificate,
                              "bad RELOAD URI " + std::string(*uri)};
      }
      out.node_uris_.push_back(std::move(*parsed));
    } else if (name->type == GEN_EMAIL) {
      const auto user = ia5_text(name->d.rfc822Name);
      if (!user || out.user_name_) {
        return identity_error{identity_errc::malformed_certificate,
                              "more than one or an unreadable rfc822Name"};
      }
      out.user_name_ = std::string(*user);
    }
  }
  out.cert_ = std::move(cert);
  recent().add(out);
  return out;
}

result<node_certificate> node_certificate::from_der(byte_span der) {
  if (auto known = recent().find(der)) return std::move(*known);
  const unsigned char* p = der.data();
  x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return openssl_error(identity_errc::malformed_certificate, "not one DER certificate");
  }
  return adopt(std::move(cert));
}

result<std::vector<node_certificate>> node_certificate::all_from_pem(std::string_view pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error(identity_errc::crypto_failure, "out of memory");
  std::vector<node_certificate> out;
  while (x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    auto adopted = adopt(std::move(cert));
    if (!adopted) return adopted.error();
    out.push_back(std::move(*adopted));
  }
  ERR_clear_error();  // the loop ends on an expected "no start line"
  if (out.empty()) {
    return identity_error{identity_errc::malformed_certificate, "no PEM certificate"};
  }
  return out;
}

result<node_certificate> node_certificate::from_pem(std::string_view pem) {
  auto all = all_from_pem(pem);
  if (!all) return all.error();
  return std::move(all->front());
}

result<std::vector<node_certificate>> node_certificate::load_all(
    const std::filesystem::path& path) {
  auto pem = read_file(path, max_certificate_file_bytes);
  if (!pem) return pem.error();
  auto all = all_from_pem(*pem);
  if (!all) return identity_error{all.error().code, path.string() + ": " + all.error().detail};
  return all;
}

result<node_certificate> node_certificate::load(const std::filesystem::path& path) {
  auto all = load_all(path);
  if (!all) return all.error();
  return std::move(all->front());
}

result<node_certificate> node_certificate::from_native(X509* cert) {
  if (cert == nullptr) return identity_error{identity_errc::malformed_certificate, "null"};
  X509_up_ref(cert);
  return adopt(x509_ptr(cert));
}

std::string node_certificate::to_pem() const {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

status node_certificate::save(const std::filesystem::path& path) const {
  const auto pem = to_pem();
  if (pem.empty()) return openssl_error(identity_errc::crypto_failure, "cannot encode certificate");
  return write_file_atomically(path, pem, public_file_mode);
}

std::vector<wire::node_id> node_certificate::node_ids() const {
  std::vector<wire::node_id> out;
  out.reserve(node_uris_.size());
  for (const auto& uri : node_uris_) out.push_back(uri.node);
  return out;
}

bool node_certificate::has_node_id(const wire::node_id& node) const noexcept {
  return std::any_of(node_uris_.begin(), node_uris_.end(),
                     [&](const node_uri& uri) { return uri.node == node; });
}

bool node_certificate::is_self_issued() const noexcept {
  return X509_self_signed(cert_.get(), 0) == 1;
}

status node_certificate::check_validity(time_point now) const {
  if (seconds_between(now, X509_get0_notBefore(cert_.get())).count() > 0) {
    return identity_error{identity_errc::certificate_not_yet_valid, "notBefore is in the future"};
  }
  if (seconds_between(now, X509_get0_notAfter(cert_.get())).count() < 0) {
    return identity_error{identity_errc::certificate_expired, "notAfter has passed"};
  }
  return {};
}

time_point node_certificate::not_before() const noexcept {
  return to_time_point(X509_get0_notBefore(cert_.get()), time_point::max());
}

time_point node_certificate::not_after() const noexcept {
  return to_time_point(X509_get0_notAfter(cert_.get()), time_point::min());
}

result<std::vector<std::uint8_t>> node_certificate::hash(wire::hash_algorithm algorithm) const {
  return digest(algorithm, {der_});
}

result<std::vector<std::uint8_t>> node_certificate::node_id_hash(wire::hash_algorithm algorithm,
                                                                 const wire::node_id& node) const {
  return digest(algorithm, {node.bytes(), der_});
}

bool is_valid_user_name(std::string_view name) noexcept {
  constexpr std::size_t max_length = 254;
  const auto at = name.find('@');
  if (name.size() > max_length || at == 0 || at == std::string_view::npos ||
      at + 1 == name.size() || name.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("@.-_+").find(c) != std::string_view::npos;
  });
}

bool due_for_renewal(const node_certificate& cert, time_point now) {
  const auto* not_before = X509_get0_notBefore(cert.native());
  const auto* not_after = X509_get0_notAfter(cert.native());
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, not_before, not_after) != 1) return true;
  const auto lifetime = std::chrono::seconds(std::int64_t{days} * 86400 + seconds);
  const std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  int left_days = 0;
  int left_seconds = 0;
  asn1_time_ptr now_asn1(ASN1_TIME_set(nullptr, now_t));
  if (!now_asn1 || ASN1_TIME_diff(&left_days, &left_seconds, now_asn1.get(), not_after) != 1)
    return true;
  const auto left = std::chrono::seconds(std::int64_t{left_days} * 86400 + left_seconds);
  return left < lifetime / 3;
}

}  // namespace p2psip::identity
