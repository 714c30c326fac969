// Shared set-up for the store tests: a scratch directory and small, fully
// populated protos that exercise every stored column.
#ifndef GRIDBENCH_TESTS_COORDINATOR_STORE_TESTING_H_
#define GRIDBENCH_TESTS_COORDINATOR_STORE_TESTING_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/store/coordinator_store.h"
#include "common/annotated_mutex.h"
#include "gtest/gtest.h"

namespace gridbench::coordinator::testing {

// A fresh directory under TMPDIR (or /tmp), removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/gridbench_store_XXXXXX";
    const char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline gridbench::v1::Worker MakeWorker(const std::string& id) {
  gridbench::v1::Worker worker;
  worker.set_worker_id(id);
  worker.set_name("name-" + id);
  worker.set_state(gridbench::v1::WORKER_STATE_CONNECTED);
  (*worker.mutable_labels())["rack"] = "r1";
  (*worker.mutable_labels())["quote\"key"] = "va\\lue";
  (*worker.mutable_labels())["tab\tkey"] = "gr\u00fc\u00dfe\x01";
  worker.mutable_hardware()->set_cpu_model("Test CPU");
  worker.mutable_hardware()->add_isa_features("avx2");
  worker.set_public_key(std::string("\x00\x01key-", 6) + id);
  worker.set_key_id("kid-" + id);
  worker.set_last_seen_unix_nanos(1234);
  return worker;
}

inline gridbench::v1::Job MakeJob(const std::string& id) {
  gridbench::v1::Job job;
  job.set_job_id(id);
  job.mutable_spec()->set_name("job " + id);
  job.mutable_spec()->set_priority(7);
  (*job.mutable_spec()->mutable_labels())["team"] = "kernels";
  job.set_state(gridbench::v1::JOB_STATE_QUEUED);
  job.set_submitter("alice");
  job.set_created_unix_nanos(42);
  return job;
}

inline TaskRecord MakeTask(const std::string& job_id, const std::string& id, int64_t seq) {
  TaskRecord record;
  gridbench::v1::Task& task = record.task;
  task.set_task_id(id);
  task.set_job_id(job_id);
  task.mutable_spec()->set_name("task " + id);
  task.mutable_spec()->set_kind("gemm");
  task.set_state(gridbench::v1::TASK_STATE_PENDING);
  task.set_pinned_worker_id("w-pinned");
  task.set_attempts_made(2);
  task.set_failure_reason("earlier failure");
  task.set_progress(0.25);
  record.seq = seq;
  record.next_eligible_unix_nanos = 99;
  record.avoid_worker_id = "w-bad";
  record.created_unix_nanos = 43;
  return record;
}

inline gridbench::v1::Attempt MakeAttempt(const std::string& id, const std::string& worker_id,
                                          int64_t started) {
  gridbench::v1::Attempt attempt;
  attempt.set_attempt_id(id);
  attempt.set_worker_id(worker_id);
  attempt.set_lease_id("lease-" + id);
  attempt.set_state(gridbench::v1::ATTEMPT_STATE_RUNNING);
  attempt.set_started_unix_nanos(started);
  return attempt;
}

inline gridbench::v1::StoredResult MakeResult(const std::string& job_id, const std::string& task_id,
                                              const std::string& attempt_id,
                                              const std::string& worker_id) {
  gridbench::v1::ResultPayload payload;
  payload.set_kind("gemm");
  for (double s : {0.5, 0.25, 1.0}) payload.add_samples_seconds(s);
  payload.mutable_summary()->set_count(3);
  payload.mutable_summary()->set_median(0.5);
  payload.mutable_summary()->set_p99(0.99);
  gridbench::v1::StoredResult result;
  gridbench::v1::SignedResult& signed_result = *result.mutable_signed_();
  signed_result.set_worker_id(worker_id);
  signed_result.set_task_id(task_id);
  signed_result.set_attempt_id(attempt_id);
  signed_result.set_lease_id("lease-" + attempt_id);
  signed_result.set_sequence(5);
  signed_result.set_payload(payload.SerializeAsString());
  signed_result.set_signature(std::string(64, '\x07'));
  signed_result.set_key_id("kid-" + worker_id);
  result.set_job_id(job_id);
  result.set_stored_unix_nanos(777);
  return result;
}

inline AuditEntry MakeAudit(const std::string& kind, const std::string& subject,
                            int64_t unix_nanos = 1) {
  AuditEntry entry;
  entry.unix_nanos = unix_nanos;
  entry.kind = kind;
  entry.subject = subject;
  return entry;
}

// Queues worker `w`, job `j`, task `t` and attempt `a` (results need them).
inline void SeedAttempt(CoordinatorStore& store, const std::string& w, const std::string& j,
                        const std::string& t, const std::string& a) {
  store.UpsertWorker(MakeWorker(w));
  store.InsertJob(MakeJob(j), {MakeTask(j, t, 1)});
  store.UpsertAttempt(t, MakeAttempt(a, w, 10));
}

// Collects `done` statuses; read them after the store's Flush().
class DoneLog {
 public:
  CoordinatorStore::Done Callback(int id) {
    return [this, id](absl::Status status) {
      StdMutexLock lock(mu_);
      entries_.push_back({id, std::move(status)});
    };
  }
  std::vector<std::pair<int, absl::Status>> entries() const {
    StdMutexLock lock(mu_);
    return entries_;
  }

 private:
  mutable StdMutex mu_;
  std::vector<std::pair<int, absl::Status>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::coordinator::testing

#endif  // GRIDBENCH_TESTS_COORDINATOR_STORE_TESTING_H_
