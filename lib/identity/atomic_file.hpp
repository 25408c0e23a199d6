// Whole-file reads and crash-safe writes for keys and certificates.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "identity/identity_error.hpp"

namespace p2psip::identity {

// Permission bits for secrets (private keys) and for public material.
inline constexpr mode_t secret_file_mode = 0600;
inline constexpr mode_t public_file_mode = 0644;

// Writes `contents` so that a reader sees either the old file or the whole
// new one, even across a crash: temp file in the same directory created with
// `mode`, fsync, rename over `path`, fsync the directory.
status write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                             mode_t mode);

// Reads at most max_bytes; a larger file is an io_error, not a truncation.
result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

// As read_file, but refuses (insecure_key_file) a regular file that its group
// or others may access, as ssh does: a key others could read is no longer
// secret, and loading it silently would hide that.
result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace p2psip::identity
