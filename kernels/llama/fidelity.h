// How far one model's next-token distributions are from another's on the
// same tokens: what quantization cost. The reference is the model the other
// came from (its F32 or F16 original); each position's logits are turned
// into distributions with a softmax in double precision.
//
//   top-1 agreement   share of positions whose most likely token is the same
//   KL divergence     KL(P_reference || P_test) per position, mean and max
//   max |logit diff|  over every position and vocabulary entry
//
// Thread-safety: FidelityAccumulator is thread-compatible; CompareSessions
// drives both sessions from the calling thread.
#ifndef GRIDBENCH_KERNELS_LLAMA_FIDELITY_H_
#define GRIDBENCH_KERNELS_LLAMA_FIDELITY_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_session.h"

namespace gridbench::kernels::llama {

struct FidelityReport {
  int64_t positions = 0;
  double top1_agreement = 0;  // In [0, 1].
  double kl_mean = 0;         // nats.
  double kl_max = 0;
  double max_abs_logit_diff = 0;
};

class FidelityAccumulator {
 public:
  // Adds one position: both spans hold the same number (> 0) of finite
  // logits. INVALID_ARGUMENT otherwise (naming which side and the index of a
  // non-finite value), with nothing added.
  absl::Status Add(std::span<const float> reference, std::span<const float> test);
  FidelityReport Report() const;

 private:
  int64_t positions_ = 0;
  int64_t agreements_ = 0;
  double kl_sum_ = 0;
  double kl_max_ = 0;
  double max_abs_diff_ = 0;
};

// Evaluates `tokens` from position 0 in both sessions as one batch, keeping
// every position's logits, and compares them position by position. Both
// sessions' models must have the same vocabulary size `vocab`. Errors of
// either Eval (prefixed with which side) and of FidelityAccumulator::Add.
absl::StatusOr<FidelityReport> CompareSessions(LlamaSession& reference, LlamaSession& test,
                                               int vocab, std::span<const int32_t> tokens);

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_FIDELITY_H_
