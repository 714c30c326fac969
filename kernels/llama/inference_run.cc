#include "kernels/llama/inference_run.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::kernels::llama {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

absl::Status CheckOptions(const LlamaSession& session, int vocab,
                          const InferenceRunOptions& options) {
  if (options.prompt_tokens < 0 || options.gen_tokens < 0) {
    return absl::InvalidArgumentError(absl::StrCat("token counts must not be negative, got pp ",
                                                   options.prompt_tokens, " tg ",
                                                   options.gen_tokens));
  }
  if (options.prompt_tokens == 0 && options.gen_tokens == 0) {
    return absl::InvalidArgumentError("nothing to measure: prompt and generation are both 0");
  }
  if (options.repetitions < 1 || options.warmup < 0) {
    return absl::InvalidArgumentError(absl::StrCat("repetitions must be >= 1 and warmup >= 0, got ",
                                                   options.repetitions, " and ", options.warmup));
  }
  if (vocab < 1) return absl::InvalidArgumentError(absl::StrCat("vocab ", vocab, " < 1"));
  if (session.context() < InferenceContext(options)) {
    return absl::InvalidArgumentError(absl::StrCat("the run needs ", InferenceContext(options),
                                                   " positions, the session holds ",
                                                   session.context()));
  }
  return absl::OkStatus();
}

// One round: the prompt, then the generation steps. Appends to `m` when
// `timed`.
absl::Status RunRound(LlamaSession& session, bool timed, InferenceMeasurement& m) {
  if (!m.prompt.empty()) {
    const Clock::time_point start = Clock::now();
    GB_ASSIGN_OR_RETURN(const std::vector<float> logits, session.Eval(m.prompt, 0));
    const double prompt = SecondsSince(start);
    m.first_token = GreedyToken(logits);
    const double first_token = SecondsSince(start);
    if (timed) {
      m.prompt_seconds.push_back(prompt);
      m.first_token_seconds.push_back(first_token);
    }
  }
  const Clock::time_point gen_start = Clock::now();
  for (size_t i = 0; i < m.generation.size(); ++i) {
    const Clock::time_point step = Clock::now();
    GB_RETURN_IF_ERROR(
        session.Eval(std::span<const int32_t>(&m.generation[i], 1), static_cast<int>(i)).status());
    if (timed) m.token_seconds.push_back(SecondsSince(step));
  }
  if (timed && !m.generation.empty()) m.generation_seconds.push_back(SecondsSince(gen_start));
  return absl::OkStatus();
}

}  // namespace

std::vector<int32_t> SeededTokens(int vocab, int count, uint64_t seed) {
  std::vector<int32_t> tokens;
  tokens.reserve(std::max(count, 0));
  uint64_t state = seed;
  for (int i = 0; i < count; ++i) {
    tokens.push_back(static_cast<int32_t>(SplitMix64(state) % static_cast<uint64_t>(vocab)));
  }
  return tokens;
}

int InferenceContext(const InferenceRunOptions& options) {
  return std::max(options.prompt_tokens, options.gen_tokens);
}

absl::StatusOr<InferenceMeasurement> MeasureInference(LlamaSession& session, int vocab,
                                                      const InferenceRunOptions& options,
                                                      const InferenceProgress& progress) {
  GB_RETURN_IF_ERROR(CheckOptions(session, vocab, options));
  InferenceMeasurement m;
  m.prompt = SeededTokens(vocab, options.prompt_tokens, options.seed);
  m.generation = SeededTokens(vocab, options.gen_tokens, options.seed + 1);
  const int rounds = options.warmup + options.repetitions;
  for (int round = 0; round < rounds; ++round) {
    const bool timed = round >= options.warmup;
    GB_RETURN_IF_ERROR(RunRound(session, timed, m));
    if (progress) {
      progress(static_cast<double>(round + 1) / rounds,
               absl::StrCat(timed ? "repetition " : "warm-up ",
                            timed ? round - options.warmup + 1 : round + 1));
    }
  }
  return m;
}

}  // namespace gridbench::kernels::llama
