// What every llama forward-pass implementation offers (the scalar reference,
// the optimised CPU path, the Vulkan path), so that a benchmark or a fidelity
// comparison can drive any of them.
//
// Thread-safety: implementations are thread-compatible (one call at a time).
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_SESSION_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_SESSION_H_

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace gridbench::kernels::llama {

// Which logits Eval returns.
enum class LogitsFor { kLastToken, kAllTokens };

// One sequence being evaluated: a model and a KV cache of up to context()
// positions.
class LlamaSession {
 public:
  virtual ~LlamaSession() = default;

  // Runs `tokens` at positions start_pos, start_pos + 1, ..., attending to
  // the cached positions before start_pos. start_pos may be below
  // positions() (the cache is rewound to it) but not above. Returns the
  // logits of the last token (vocab values) or of every token (tokens.size()
  // rows of vocab values). Errors of CheckEvalArgs (eval_args.h), with the
  // cache unchanged; an implementation's own errors (a NaN reaching a
  // quantized activation, a device failure) leave positions() at or below
  // start_pos.
  virtual absl::StatusOr<std::vector<float>> Eval(std::span<const int32_t> tokens, int start_pos,
                                                  LogitsFor which = LogitsFor::kLastToken) = 0;

  // Positions held in the cache.
  virtual int positions() const = 0;
  // The most positions the cache can hold.
  virtual int context() const = 0;
};

// The token greedy decoding picks from one position's logits: the first of
// the largest. `logits` must not be empty.
inline int32_t GreedyToken(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_SESSION_H_
