// The argument checks every llama session (reference, CPU, Vulkan) applies,
// so that all of them refuse the same inputs with the same messages.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_LLAMA_EVAL_ARGS_H_
#define GRIDBENCH_KERNELS_LLAMA_EVAL_ARGS_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_model.h"

namespace gridbench::kernels::llama {

// The context a session gets when `requested` positions are asked for: 0
// means the model's context_length. INVALID_ARGUMENT if `requested` is
// negative or longer than the model allows ("context 4096 is longer than the
// model allows (llama.context_length 2048)").
absl::StatusOr<int> SessionContext(const LlamaHparams& hparams, int requested);

// OK if `tokens` may run at start_pos in a session of `context` positions of
// which `positions` are cached. INVALID_ARGUMENT for no tokens, a token
// outside [0, vocab) (index and value named), start_pos negative or above
// `positions`, or start_pos + tokens.size() above `context`.
absl::Status CheckEvalArgs(const LlamaHparams& hparams, int context, int positions,
                           std::span<const int32_t> tokens, int start_pos);

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_EVAL_ARGS_H_
