// RELOAD codec throughput: decode + encode of typical whole messages, and
// allocations per encode. Run from a release build; see tests/bench/README.md.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "sample_messages.hpp"
#include "wire/codec.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

// Counts every allocation in the process, so the figures include the codec's.
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace p2psip;
using namespace p2psip::wire;
using clock_type = std::chrono::steady_clock;

constexpr auto run_time = std::chrono::milliseconds(700);

template <class F>
double rate_per_second(F&& op) {
  std::size_t n = 0;
  const auto start = clock_type::now();
  auto now = start;
  do {
    for (int i = 0; i < 256; ++i) op();
    n += 256;
    now = clock_type::now();
  } while (now - start < run_time);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

void bench(const char* name, const message_body& body) {
  const data_model_lookup models(well_known_data_model);
  const auto msg = samples::wrap(body);
  const auto bytes = *to_bytes(msg);

  const auto before = allocations.load();
  { const auto once = to_bytes(msg); (void)once; }
  const auto allocs_per_encode = allocations.load() - before;

  volatile std::size_t sink = 0;
  const double encode_rate = rate_per_second([&] { sink = sink + to_bytes(msg)->size(); });
  const double decode_rate = rate_per_second([&] {
    const auto m = decode_message(bytes, 1 << 20);
    const auto b = decode_body(m->contents.code, m->contents.body, models);
    sink = sink + b->value.index();
  });
  const double both_rate = rate_per_second([&] {
    const auto m = decode_message(bytes, 1 << 20);
    const auto b = decode_body(m->contents.code, m->contents.body, models);
    sink = sink + to_bytes(*m)->size() + b->value.index();
  });
  const double forward_rate = rate_per_second([&] {
    auto part = decode_forwarding_part(bytes, 1 << 20);
    part->header.ttl--;
    part->header.via_list.push_back(part->header.destination_list.front());
    sink = sink + encode_forwarded(part->header, part->payload)->size();
  });
  std::printf("%-22s %6zu %12.0f %12.0f %14.0f %12.0f %8zu\n", name, bytes.size(), decode_rate,
              encode_rate, both_rate, forward_rate, allocs_per_encode);
}

}  // namespace

int main() {
  std::printf("%-22s %6s %12s %12s %14s %12s %8s\n", "message", "bytes", "decode/s",
              "encode/s", "decode+enc/s", "forward/s", "allocs");
  for (const auto& [name, body] : samples::every_body()) {
    if (name == "PingReq" || name == "AttachReq" || name == "FetchAns" || name == "Error") {
      bench(name.c_str(), body);
    }
  }
  bench("StoreReq (SIP reg)", samples::sip_registration_store());
  bench("UpdateReq (CHORD full)", samples::chord_full_update());

  // The bar: a ~300-byte Store body encodes with one allocation.
  const auto store = samples::sip_registration_store();
  const auto& req = std::get<store_req>(store.value);
  const auto before = allocations.load();
  const auto encoded = to_bytes(req);
  std::printf("\nStoreReq body: %zu bytes, %zu allocation(s) to encode\n", encoded->size(),
              allocations.load() - before);
  return 0;
}
