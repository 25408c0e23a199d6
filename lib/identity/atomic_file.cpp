#include "identity/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

identity_error errno_error(const std::string& what, const std::filesystem::path& path) {
  return identity_error{identity_errc::io_error,
                        what + " " + path.string() + ": " + std::strerror(errno)};
}

// Closes a descriptor on scope exit.
class file_descriptor {
 public:
  explicit file_descriptor(int fd) noexcept : fd_(fd) {}
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Closing can report a deferred write error, so the writer checks it.
  int close() noexcept {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

result<std::string> read_open_file(const file_descriptor& fd, const std::filesystem::path& path,
                                   std::size_t max_bytes) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return identity_error{identity_errc::io_error,
                            path.string() + " is larger than " + std::to_string(max_bytes) +
                                " bytes"};
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

status write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                             mode_t mode) {
  unsigned char suffix[8];
  if (RAND_bytes(suffix, sizeof suffix) != 1) {
    return openssl_error(identity_errc::crypto_failure, "no randomness for temp name");
  }
  std::filesystem::path temp = path;
  temp += ".tmp-" + wire::to_hex(suffix);

  file_descriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return errno_error("cannot create", temp);
  // The umask may have narrowed the mode; secrets must never end up wider.
  const bool written = ::fchmod(fd.get(), mode) == 0 && write_all(fd.get(), contents) &&
                       ::fsync(fd.get()) == 0;
  if (!written || fd.close() != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    auto error = errno_error("cannot write", path);
    ::unlink(temp.c_str());
    return error;
  }
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  file_descriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid() || ::fsync(dir_fd.get()) != 0) return errno_error("cannot sync", dir);
  return {};
}

result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  return read_open_file(fd, path, max_bytes);
}

result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_bytes) {
  file_descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  // Check the descriptor we read from, not the name, so a swap cannot race us.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path);
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return identity_error{identity_errc::insecure_key_file,
                          path.string() + " has mode " + mode + "; expected 0600"};
  }
  return read_open_file(fd, path, max_bytes);
}

}  // namespace p2psip::identity
