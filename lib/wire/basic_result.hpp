// A value or a typed error, for APIs that never throw on bad input. Each
// layer names its own alias (wire::result, identity::result) over its error.
#pragma once

#include <utility>
#include <variant>

namespace p2psip::wire {

template <class T, class Error>
class [[nodiscard]] basic_result {
 public:
  basic_result(T value) : v_(std::move(value)) {}    // NOLINT(google-explicit-constructor)
  basic_result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace p2psip::wire
