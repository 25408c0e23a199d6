// A simulated network of in-process nodes: each node gets a
// message_transport, links between nodes have a latency and a loss rate, and
// a node can crash. All randomness comes from one seed, so a run replays
// exactly.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "overlay/message_transport.hpp"
#include "overlay/sim/event_scheduler.hpp"

namespace p2psip::overlay::sim {

struct link_profile {
  duration latency = std::chrono::milliseconds(10);
  double loss = 0.0;  // probability that any one message is dropped
};

struct network_config {
  link_profile default_link;
  // How long a peer takes to notice that a crashed node's link is dead:
  // 2*Tr with ICE's Tr of 15 s, as RFC 7363 §6.3.1 describes.
  duration failure_detection_delay = std::chrono::seconds(30);
  // The largest message a simulated link carries whole: RFC 6940's default
  // max-message-size, so fragmentation can be exercised by lowering it.
  std::size_t max_message_size = 5000;
  // How long a node takes to gather what an Attach offer or answer carries
  // (ICE candidates, say); zero answers at once.
  duration gathering_delay = duration::zero();
  std::uint64_t seed = 1;
};

struct network_stats {
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;     // dropped by a link's loss rate
  std::uint64_t dropped = 0;  // dead end or link gone before arrival
  // Attach offers gathered and neither opened nor withdrawn yet.
  std::uint64_t offers_outstanding = 0;
  // Attach offers made and answers begun, for every node ever added: an
  // answer per retransmitted AttachReq would outnumber the offers.
  std::uint64_t offers = 0;
  std::uint64_t answers = 0;
};

class network {
 public:
  explicit network(event_scheduler& scheduler, network_config config = {});
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  // Adds a live node. The transport lives as long as the network. A Node-ID
  // can join only once: a restarted node comes back under a new one.
  message_transport& add_node(const node_id& id, transport_events& events);
  // Opens a link with the default profile; after one latency both ends see
  // on_link_up and may send. False if either end is unknown or dead, or the
  // two are already linked.
  bool connect(const node_id& a, const node_id& b);
  // Closes a link: messages in flight are lost, and both ends that saw it up
  // see on_link_down. False if there was no link.
  bool disconnect(const node_id& a, const node_id& b);
  // Applies to both directions and to later messages only.
  bool set_link_profile(const node_id& a, const node_id& b, const link_profile& profile);
  // The node stops dead: nothing more leaves or reaches it, including what is
  // in flight. Each peer still sends into the link until it sees on_link_down
  // failure_detection_delay later.
  void crash(const node_id& id);

  bool alive(const node_id& id) const;
  // Whether a link is open and up at both ends.
  bool linked(const node_id& a, const node_id& b) const;
  const network_stats& stats() const noexcept { return stats_; }

 private:
  struct link {
    std::uint32_t peer;
    std::uint32_t generation;  // tells a reopened link from the one it replaced
    bool up;
    link_profile profile;
  };
  struct node final : message_transport {
    node(network& net, std::uint32_t index, const node_id& id, transport_events& events)
        : net(net), index(index), id(id), events(&events) {}
    bool send(const node_id& to, std::vector<std::uint8_t> message) override {
      return net.send(index, to, std::move(message));
    }
    // Offer and answer are one host candidate made from the node's index,
    // ready after the gathering delay: carried by the real codec, never
    // dialled, since connect() needs only the Node-ID.
    void offer_attach(std::function<void(attach_offer_id, wire::attach_req_ans)> ready) override;
    void answer_attach(const node_id&, const wire::attach_req_ans&,
                       std::function<void(wire::attach_req_ans)> ready) override;
    void open_link(attach_offer_id offer, const node_id& peer,
                   const wire::attach_req_ans&) override;
    void withdraw_offer(attach_offer_id offer) override;
    wire::attach_req_ans local_attach() const;
    void after_gathering(std::function<void()> then);
    void close_link(const node_id& peer) override { net.disconnect(id, peer); }
    std::size_t max_message_size(const node_id&) const override {
      return net.config_.max_message_size;
    }
    network& net;
    std::uint32_t index;
    node_id id;
    transport_events* events;
    bool alive = true;
    // Each link's peer also sits in link_peers, at the same position: every
    // message looks its link up, and a scan of packed indices touches a few
    // cache lines where one of whole links touches dozens.
    std::vector<link> links;
    std::vector<std::uint32_t> link_peers;
    std::uint64_t last_offer = 0;
    std::vector<attach_offer_id> offers;  // gathered, not yet opened or withdrawn
  };

  // A message on its way. Kept here, not in the delivery callback, so that
  // the callback is small enough for std::function to hold without
  // allocating: one allocation less per message sent.
  struct in_flight {
    std::uint32_t from;
    std::uint32_t to;
    std::uint32_t generation;  // of the link it was sent over
    std::vector<std::uint8_t> message;
  };

  bool send(std::uint32_t from, const node_id& to, std::vector<std::uint8_t> message);
  void deliver(std::uint32_t in_flight_index);
  void bring_up(std::uint32_t a, std::uint32_t b, std::uint32_t generation);
  // Removes the a-b link if it is still `generation`, telling each live end
  // that had it up.
  void tear_down(std::uint32_t a, std::uint32_t b, std::uint32_t generation);
  node* find(const node_id& id);
  const node* find(const node_id& id) const;
  link* find_link(std::uint32_t at, std::uint32_t peer);
  const link* find_link(std::uint32_t at, std::uint32_t peer) const;
  static void add_link(node& at, const link& l);
  static void remove_link(node& at, std::uint32_t peer);

  event_scheduler& scheduler_;
  network_config config_;
  std::mt19937_64 random_;
  std::deque<node> nodes_;  // a deque keeps each transport's address stable
  // Consulted by every send: open addressing keeps key and index in one
  // cache line. Only looked up, never iterated, so its order cannot leak.
  boost::unordered_flat_map<node_id, std::uint32_t, std::hash<node_id>> index_of_;
  std::uint32_t next_generation_ = 0;
  std::vector<in_flight> in_flight_;
  std::vector<std::uint32_t> free_in_flight_;
  network_stats stats_;
};

}  // namespace p2psip::overlay::sim
