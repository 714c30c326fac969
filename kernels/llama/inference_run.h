// Measures a llama session the way llama.cpp's llama-bench does, so figures
// compare: prompt processing ("pp N": one Eval of N tokens from position 0,
// only the last token's logits kept) and generation ("tg N": N single-token
// Evals from position 0), each repeated. Inputs are seeded random tokens, as
// in llama-bench; speed does not depend on their values, and a seed names
// exactly what ran.
//
// Thread-safety: MeasureInference drives one session from the calling
// thread; SeededTokens is pure.
#ifndef GRIDBENCH_KERNELS_LLAMA_INFERENCE_RUN_H_
#define GRIDBENCH_KERNELS_LLAMA_INFERENCE_RUN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/llama/llama_session.h"

namespace gridbench::kernels::llama {

// `count` tokens in [0, vocab) from a splitmix64 stream seeded with `seed`:
// the same on every machine.
std::vector<int32_t> SeededTokens(int vocab, int count, uint64_t seed);

struct InferenceRunOptions {
  int prompt_tokens = 512;  // 0 skips prompt processing.
  int gen_tokens = 128;     // 0 skips generation.
  int repetitions = 5;      // Timed rounds of each, after `warmup` untimed ones.
  int warmup = 1;
  uint64_t seed = 1;  // Prompt tokens from `seed`, generation inputs from seed + 1.
};

// The positions a session needs for `options`.
int InferenceContext(const InferenceRunOptions& options);

struct InferenceMeasurement {
  std::vector<int32_t> prompt;  // The recorded inputs.
  std::vector<int32_t> generation;
  // The greedy choice after the prompt (-1 without one): a quick check that
  // two runs of the same model computed the same thing.
  int first_token = -1;
  // One entry per timed repetition.
  std::vector<double> prompt_seconds;       // The prompt's Eval.
  std::vector<double> first_token_seconds;  // Prompt Eval plus choosing the first new token
                                            // (greedy): time to first token.
  std::vector<double> generation_seconds;   // All gen_tokens steps.
  // Every timed generation step of every repetition, in order.
  std::vector<double> token_seconds;
};

// Called after each round with the fraction done and what ran.
using InferenceProgress = std::function<void(double fraction, const std::string& what)>;

// Runs options.warmup + options.repetitions rounds of pp then tg on
// `session`. INVALID_ARGUMENT for negative counts, no work (both counts 0),
// repetitions < 1, a vocab < 1, or a session shorter than
// InferenceContext(options) (naming both); errors of session.Eval.
absl::StatusOr<InferenceMeasurement> MeasureInference(LlamaSession& session, int vocab,
                                                      const InferenceRunOptions& options,
                                                      const InferenceProgress& progress = {});

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_INFERENCE_RUN_H_
