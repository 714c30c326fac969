#include "worker/task_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "worker/kernel_inputs.h"
#include "worker/kernel_result.h"
#include "worker/task_child.h"

namespace gridbench::worker {
namespace {

using ::testing::HasSubstr;

gridbench::v1::Assignment GemmAssignment(double m, double n, double k) {
  gridbench::v1::Assignment a;
  a.set_job_id("job-1");
  a.set_task_id("task-1");
  a.set_attempt_id("attempt-1");
  a.set_lease_id("lease-1");
  gridbench::v1::TaskSpec& spec = *a.mutable_spec();
  spec.set_name("gemm-small");
  spec.set_kind("gemm");
  spec.mutable_requirements()->set_backend("blas");
  auto& p = *spec.mutable_params()->mutable_fields();
  p["m"].set_number_value(m);
  p["n"].set_number_value(n);
  p["k"].set_number_value(k);
  p["threads"].set_number_value(1);
  p["warmup"].set_number_value(1);
  p["repetitions"].set_number_value(3);
  p["seed"].set_number_value(7);
  spec.set_timeout_seconds(120);
  return a;
}

ChildCommand Worker() { return TaskChildCommand(GRIDBENCH_WORKER_BINARY, kRunTaskFlag); }

ChildCommand Shell(const std::string& script) { return {{"/bin/sh", "-c", script}, {}}; }

gridbench::v1::AttemptFailure ExpectFailure(const TaskRun::Outcome& outcome) {
  const auto* f = std::get_if<gridbench::v1::AttemptFailure>(&outcome);
  EXPECT_NE(f, nullptr) << "expected a failure, got a result";
  if (f == nullptr) return {};
  EXPECT_EQ(f->task_id(), "task-1");
  EXPECT_EQ(f->attempt_id(), "attempt-1");
  EXPECT_EQ(f->lease_id(), "lease-1");
  return *f;
}

TEST(TaskRunTest, GemmResultMatchesReferenceComputation) {
  const int m = 37, n = 29, k = 53;
  TaskRun run(Worker(), GemmAssignment(m, n, k));
  std::vector<gridbench::v1::Progress> progress;
  TaskRun::Outcome outcome =
      run.Run({}, [&](const gridbench::v1::Progress& p) { progress.push_back(p); });
  const auto* result = std::get_if<gridbench::v1::ResultPayload>(&outcome);
  ASSERT_NE(result, nullptr) << std::get<gridbench::v1::AttemptFailure>(outcome).DebugString();

  // The same seeded inputs, multiplied naively in double.
  std::vector<float> a(m * k), b(k * n);
  FillSeededInputs(7, {a, b});
  double sum = 0, sumsq = 0, l1 = 0;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double c = 0;
      for (int p = 0; p < k; ++p) c += static_cast<double>(a[i * k + p]) * b[p * n + j];
      sum += c;
      sumsq += c * c;
      l1 += std::fabs(c);
    }
  }
  double got_sum = 0, got_sumsq = 0;
  ASSERT_EQ(std::sscanf(result->checksum().c_str(), "sum=%lf sumsq=%lf", &got_sum, &got_sumsq), 2)
      << result->checksum();
  // fp32 products summed over k = 53 terms: relative error well under 1e-5.
  EXPECT_NEAR(got_sumsq, sumsq, 1e-5 * sumsq);
  EXPECT_NEAR(got_sum, sum, 1e-5 * l1);

  EXPECT_EQ(result->kind(), "gemm");
  EXPECT_EQ(result->samples_seconds_size(), 3);
  EXPECT_EQ(result->summary().count(), 3u);
  EXPECT_GT(result->summary().min(), 0);
  EXPECT_GE(result->summary().max(), result->summary().median());
  EXPECT_GT(result->metrics().at("gflops_median"), 0);
  EXPECT_GE(result->metrics().at("gflops_best"), result->metrics().at("gflops_median"));
  EXPECT_EQ(result->metrics().at("threads"), 1);
  EXPECT_FALSE(result->environment().at("openblas_corename").empty());
  EXPECT_THAT(result->environment().at("openblas_version"), HasSubstr("OpenBLAS"));
  EXPECT_TRUE(result->environment().contains("openblas_coretype"));
  EXPECT_TRUE(result->environment().contains("cpu_model"));
  EXPECT_EQ(result->details().fields().at("m").number_value(), m);
  EXPECT_LE(result->started_unix_nanos(), result->finished_unix_nanos());
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().fraction(), 1.0);
  EXPECT_EQ(progress.back().attempt_id(), "attempt-1");
}

TEST(TaskRunTest, DifferentSeedsGiveDifferentChecksums) {
  std::vector<float> a1(6), b1(6), a2(6), b2(6);
  FillSeededInputs(1, {a1, b1});
  FillSeededInputs(2, {a2, b2});
  EXPECT_NE(a1, a2);
  for (float x : a1) {
    EXPECT_GE(x, -1.0f);
    EXPECT_LT(x, 1.0f);
  }
  EXPECT_NE(OutputChecksum(a1), OutputChecksum(a2));
}

TEST(TaskRunTest, InvalidParamsAreNotRetryable) {
  TaskRun run(Worker(), GemmAssignment(-3, 8, 0));
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_FALSE(f.retryable());
  EXPECT_THAT(f.reason(), HasSubstr("params.m: must be an integer in 1..32768, got -3"));
  EXPECT_THAT(f.reason(), HasSubstr("params.k:"));
}

TEST(TaskRunTest, UnknownBackendIsRetryableElsewhere) {
  gridbench::v1::Assignment a = GemmAssignment(8, 8, 8);
  a.mutable_spec()->mutable_requirements()->set_backend("tpu");
  TaskRun run(Worker(), a);
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_TRUE(f.retryable());
  EXPECT_THAT(f.reason(), HasSubstr("backend \"tpu\""));
}

TEST(TaskRunTest, TooBigForMemoryIsRefusedBeforeAllocating) {
  GemmParams p;
  p.m = 1000;
  p.n = 2000;
  p.k = 3000;
  // A: 3e6 floats, B: 6e6, C: 2e6 -> 44e6 bytes.
  EXPECT_TRUE(CheckGemmFitsInMemory(p, 44'000'000).ok());
  const absl::Status s = CheckGemmFitsInMemory(p, 43'999'999);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("gemm 1000x2000x3000 (A, B and C) needs 44000000 bytes but only "
                        "43999999 bytes of memory are available"));
}

TEST(TaskRunTest, CrashIsReportedWithSignalAndOutputTail) {
  TaskRun run(Shell("echo about to crash >&2; kill -SEGV $$"), GemmAssignment(8, 8, 8));
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_EQ(f.signal(), SIGSEGV);
  EXPECT_EQ(f.exit_status(), -1);
  EXPECT_THAT(f.reason(), HasSubstr("killed by signal SIGSEGV"));
  EXPECT_THAT(f.stderr_tail(), HasSubstr("about to crash"));
  EXPECT_TRUE(f.retryable());
}

TEST(TaskRunTest, OutputTailKeepsOnlyTheEnd) {
  TaskRun run(Shell("i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; exit 3"),
              GemmAssignment(8, 8, 8));
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_EQ(f.exit_status(), 3);
  EXPECT_THAT(f.reason(), HasSubstr("exited with status 3"));
  EXPECT_EQ(f.stderr_tail().size(), kStderrTailBytes);
  EXPECT_THAT(f.stderr_tail(), HasSubstr("line 1999\n"));
  EXPECT_THAT(f.stderr_tail(), ::testing::Not(HasSubstr("line 0\n")));
}

TEST(TaskRunTest, TimeoutKillsTheChild) {
  gridbench::v1::Assignment a = GemmAssignment(8, 8, 8);
  a.mutable_spec()->set_timeout_seconds(0.5);
  TaskRun run(Shell("exec sleep 1000"), a);
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_THAT(f.reason(), HasSubstr("timed out after 0.5s"));
  EXPECT_TRUE(f.retryable());
}

TEST(TaskRunTest, TimeoutHoldsForAChildThatNeverStopsWriting) {
  gridbench::v1::Assignment a = GemmAssignment(8, 8, 8);
  a.mutable_spec()->set_timeout_seconds(0.5);
  TaskRun run(Shell("exec yes flood"), a);
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_THAT(f.reason(), HasSubstr("timed out after 0.5s"));
  EXPECT_THAT(f.stderr_tail(), HasSubstr("flood\n"));
}

TEST(TaskRunTest, CancelKillsTheRunningChild) {
  // The child sends one (empty) progress frame, then hangs; the test cancels
  // when that frame arrives, so the child is known to be running.
  TaskRun run(Shell("printf '\\001\\000\\000\\000\\000' >&3; exec sleep 1000"),
              GemmAssignment(8, 8, 8));
  int reports = 0;
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [&](const auto& p) {
    ++reports;
    run.Cancel("job cancelled", false);
  }));
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(f.reason(), "cancelled: job cancelled");
  EXPECT_FALSE(f.retryable());
}

TEST(TaskRunTest, CancelBeforeStartReturnsAtOnce) {
  TaskRun run(Shell("exec sleep 1000"), GemmAssignment(8, 8, 8));
  run.Cancel("worker is shutting down", true);
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_EQ(f.reason(), "cancelled: worker is shutting down");
  EXPECT_TRUE(f.retryable());
}

TEST(TaskRunTest, MalformedFramesAreReported) {
  TaskRun run(Shell("printf '\\011garbage' >&3"), GemmAssignment(8, 8, 8));
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_THAT(f.reason(), HasSubstr("malformed output: unknown frame type 9"));
}

TEST(TaskRunTest, MissingExecutableIsAFailureNotACrash) {
  TaskRun run(ChildCommand{{"/nonexistent/gridbench-worker", kRunTaskFlag}, {}},
              GemmAssignment(8, 8, 8));
  const gridbench::v1::AttemptFailure f = ExpectFailure(run.Run({}, [](const auto&) {}));
  EXPECT_THAT(f.reason(), HasSubstr("/nonexistent/gridbench-worker"));
}

}  // namespace
}  // namespace gridbench::worker
