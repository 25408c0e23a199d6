// Two datagram_path ends joined in memory under a manual clock, with seeded
// loss, duplication, reordering and per-datagram drop rules, and a tap that
// sees every datagram written (for MTU checks). Nothing is delivered until
// deliver_due() runs, so tests step time themselves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "link/datagram_path.hpp"
#include "link/link_clock.hpp"

namespace p2psip::link::test {

struct manual_clock {
  link_time now{std::chrono::hours(1)};
  clock_source source() {
    return [this] { return now; };
  }
};

enum class side { a, b };

struct impairments {
  double loss = 0;         // probability a datagram vanishes
  double duplication = 0;  // probability it arrives twice
  double reordering = 0;   // probability it is held back by reorder_delay
  milliseconds latency{5};
  milliseconds reorder_delay{30};
  bool checks_liveness = false;  // what the ends say (datagram_path::checks_liveness)
};

class simulated_datagrams {
 public:
  // Return true to drop: the sender, the sender's datagram count so far, the bytes.
  using drop_rule = std::function<bool(side from, std::size_t index, const datagram_buffer&)>;

  simulated_datagrams(manual_clock& clock, std::size_t mtu, impairments impair = {},
                      std::uint32_t seed = 1)
      : clock_(clock), mtu_(mtu), impair_(impair), random_(seed) {}

  std::shared_ptr<datagram_path> end(side s) { return std::make_shared<end_point>(*this, s); }

  // Delivers, in time order, every datagram due by now.
  void deliver_due() {
    // Bounded: each pass removes one datagram; deliveries add none.
    for (std::size_t pass = pending_.size(); pass > 0; --pass) {
      auto due = std::min_element(pending_.begin(), pending_.end(), [](auto& x, auto& y) {
        return x.at < y.at || (x.at == y.at && x.order < y.order);
      });
      if (due == pending_.end() || due->at > clock_.now) return;
      const in_flight datagram = std::move(*due);
      pending_.erase(due);
      if (datagram_handler* h = handlers_[index(datagram.to)]) h->on_datagram(datagram.bytes);
    }
  }

  drop_rule drop;
  bool blackhole = false;        // drops everything, both ways
  std::size_t largest = 0;       // the largest datagram written
  std::size_t over_mtu = 0;      // datagrams written above the MTU
  std::size_t sent[2] = {0, 0};  // datagrams written per side
  std::size_t mtu() const { return mtu_; }

 private:
  struct in_flight {
    link_time at;
    std::uint64_t order;
    side to;
    datagram_buffer bytes;
  };

  class end_point final : public datagram_path {
   public:
    end_point(simulated_datagrams& net, side s) : net_(net), side_(s) {}
    void start(datagram_handler& handler) override { net_.handlers_[index(side_)] = &handler; }
    void send(datagram_buffer datagram) override { net_.carry(side_, std::move(datagram)); }
    std::size_t mtu() const override { return net_.mtu_; }
    void close() override { net_.handlers_[index(side_)] = nullptr; }
    bool checks_liveness() const noexcept override { return net_.impair_.checks_liveness; }

   private:
    simulated_datagrams& net_;
    side side_;
  };

  static std::size_t index(side s) { return s == side::a ? 0 : 1; }

  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }

  void carry(side from, datagram_buffer bytes) {
    largest = std::max(largest, bytes.size());
    if (bytes.size() > mtu_) ++over_mtu;
    const std::size_t count = sent[index(from)]++;
    if (blackhole || (drop && drop(from, count, bytes)) || chance(impair_.loss)) return;
    const side to = from == side::a ? side::b : side::a;
    const int copies = chance(impair_.duplication) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      link_time at = clock_.now + impair_.latency;
      if (chance(impair_.reordering)) at += impair_.reorder_delay;
      pending_.push_back({at, next_order_++, to, bytes});
    }
  }

  manual_clock& clock_;
  std::size_t mtu_;
  impairments impair_;
  std::mt19937 random_;
  datagram_handler* handlers_[2] = {nullptr, nullptr};
  std::vector<in_flight> pending_;
  std::uint64_t next_order_ = 0;
};

}  // namespace p2psip::link::test
