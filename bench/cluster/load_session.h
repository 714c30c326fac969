// LoadSession: one simulated worker for the load generator. It speaks the
// real Session protocol with a real Ed25519 key (Hello, signed challenge),
// and answers every assignment at once with a freshly signed result whose
// payload says it came from the load generator: the coordinator's side —
// verification, lease checks, group commit, acks — is what is measured.
#ifndef GRIDBENCH_BENCH_CLUSTER_LOAD_SESSION_H_
#define GRIDBENCH_BENCH_CLUSTER_LOAD_SESSION_H_

#include <atomic>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "gridbench/v1/worker.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"

namespace gridbench::bench {

struct LoadCounters {
  std::atomic<int64_t> results_sent{0};
  std::atomic<int64_t> results_accepted{0};
  std::atomic<int64_t> results_refused{0};
  std::atomic<int64_t> first_send_nanos{0};
  std::atomic<int64_t> last_ack_nanos{0};
};

class LoadSession final : public grpc::ClientBidiReactor<gridbench::v1::WorkerMessage,
                                                         gridbench::v1::CoordinatorMessage> {
 public:
  LoadSession(gridbench::v1::WorkerGateway::Stub* stub, std::string worker_id, SigningKey key,
              std::string payload, LoadCounters* counters);

  void Start();
  // Ends the stream and waits until it is done.
  void Stop();
  bool accepted() const { return accepted_.load(); }
  // Send-to-acknowledgement time of each acknowledged result; read after Stop().
  const std::vector<int64_t>& ack_latency_nanos() const { return ack_latency_nanos_; }
  absl::Status status();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void Send(gridbench::v1::WorkerMessage message);
  void Handle(const gridbench::v1::CoordinatorMessage& message);

  const std::string worker_id_;
  const SigningKey key_;
  const std::string payload_;
  LoadCounters* const counters_;
  grpc::ClientContext context_;
  gridbench::v1::CoordinatorMessage incoming_;
  // Only touched by reactions to reads, which never overlap.
  uint64_t sequence_ = 0;
  std::map<uint64_t, int64_t> sent_nanos_;  // Sequence -> send time, until acknowledged.
  std::vector<int64_t> ack_latency_nanos_;
  std::atomic<bool> accepted_{false};

  absl::Mutex mu_;
  std::deque<gridbench::v1::WorkerMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  absl::Notification done_;
};

}  // namespace gridbench::bench

#endif  // GRIDBENCH_BENCH_CLUSTER_LOAD_SESSION_H_
