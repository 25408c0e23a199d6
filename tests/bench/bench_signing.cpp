// Messages signed and verified per second on one core, ECDSA P-256 and
// RSA-2048, over a realistic MessageContents (~200 bytes). Product bar:
// >= 20k ECDSA-signed originations per second per core.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>

#include "identity/certificate_authority.hpp"
#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"

using namespace p2psip;
using namespace p2psip::identity;

namespace {

constexpr auto run_for = std::chrono::seconds(2);

template <class T>
T must(result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench_signing: %s\n", r.error().describe().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

// CPU time of this thread: "per core" even when other processes compete for
// the machine, which wall-clock time would not be.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Operations per CPU-second of `op`, run for about run_for of CPU time.
double rate(const std::function<bool()>& op) {
  const double start = thread_cpu_seconds();
  const double budget = std::chrono::duration<double>(run_for).count();
  long count = 0;
  while (thread_cpu_seconds() - start < budget) {
    for (int i = 0; i < 64; ++i) {
      if (!op()) {
        std::fprintf(stderr, "bench_signing: operation failed\n");
        std::exit(1);
      }
    }
    count += 64;
  }
  return static_cast<double>(count) / (thread_cpu_seconds() - start);
}

}  // namespace

int main() {
  const auto now = std::chrono::system_clock::now();
  auto ca = must(certificate_authority::in_memory("bench.p2psip.example", now));
  trust_policy policy{ca.overlay(), {ca.root()}, false};
  const certificate_verifier certificates(policy);

  wire::message_contents contents;
  contents.code = wire::message_code::store_req;
  contents.body.assign(194, 0xa5);  // MessageContents encodes to 200 bytes
  const auto encoded = *wire::to_bytes(contents);

  std::printf("%-12s %14s %16s %16s\n", "algorithm", "signed/s", "verified/s", "verified/s");
  std::printf("%-12s %14s %16s %16s\n", "", "", "(cert cached)", "(cold cache)");
  for (const auto algorithm : {key_algorithm::ecdsa_p256, key_algorithm::rsa_2048}) {
    auto creds = must(ca.enroll_offline("bench@example.org", 1, now, algorithm));
    auto signer = must(message_signer::create(std::move(creds.key), creds.certificate));
    std::uint64_t tx = 0;
    const double signed_rate = rate([&] {
      return signer.sign_message(wire::overlay_hash{1}, wire::transaction_id{++tx}, encoded)
          .has_value();
    });

    wire::security_block block{{signer.generic_certificate()},
                               must(signer.sign_message(wire::overlay_hash{1},
                                                        wire::transaction_id{7}, encoded))};
    certificate_cache warm;
    signature_verifier warm_verifier(certificates, warm);
    const double warm_rate = rate([&] {
      return warm_verifier
          .verify_message(block, wire::overlay_hash{1}, wire::transaction_id{7}, encoded, {}, now)
          .has_value();
    });
    const double cold_rate = rate([&] {
      certificate_cache cold;
      return signature_verifier(certificates, cold)
          .verify_message(block, wire::overlay_hash{1}, wire::transaction_id{7}, encoded, {}, now)
          .has_value();
    });
    std::printf("%-12s %14.0f %16.0f %16.0f\n", to_string(algorithm), signed_rate, warm_rate,
                cold_rate);
  }
  std::printf("message contents: %zu bytes; one thread; rates per CPU-second, %lld s each\n", encoded.size(),
              static_cast<long long>(run_for.count()));
  return 0;
}
