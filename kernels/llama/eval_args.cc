#include "kernels/llama/eval_args.h"

#include "absl/strings/str_cat.h"

namespace gridbench::kernels::llama {

absl::StatusOr<int> SessionContext(const LlamaHparams& hparams, int requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError(absl::StrCat("context ", requested, " is negative"));
  }
  if (requested > hparams.context) {
    return absl::InvalidArgumentError(absl::StrCat("context ", requested,
                                                   " is longer than the model allows "
                                                   "(llama.context_length ",
                                                   hparams.context, ")"));
  }
  return requested == 0 ? hparams.context : requested;
}

absl::Status CheckEvalArgs(const LlamaHparams& hparams, int context, int positions,
                           std::span<const int32_t> tokens, int start_pos) {
  if (tokens.empty()) return absl::InvalidArgumentError("no tokens to evaluate");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= hparams.vocab) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token ", i, " is ", tokens[i], ", outside the vocabulary [0, ", hparams.vocab, ")"));
    }
  }
  if (start_pos < 0 || start_pos > positions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "start position ", start_pos, " is not within the ", positions, " cached positions"));
  }
  if (tokens.size() > static_cast<size_t>(context - start_pos)) {
    return absl::InvalidArgumentError(
        absl::StrCat("positions ", start_pos, " to ", start_pos + tokens.size() - 1,
                     " do not fit the session's context of ", context, " positions"));
  }
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::llama
