#include "kernels/llama/fidelity.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::kernels::llama {
namespace {

absl::Status CheckFinite(std::span<const float> logits, const char* side) {
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!std::isfinite(logits[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(side, " logit ", i, " is not finite (", logits[i], ")"));
    }
  }
  return absl::OkStatus();
}

// log-softmax of `logits`, in double.
std::vector<double> LogSoftmax(std::span<const float> logits) {
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(l - max);
  const double log_sum = max + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - log_sum;
  return out;
}

}  // namespace

absl::Status FidelityAccumulator::Add(std::span<const float> reference,
                                      std::span<const float> test) {
  if (reference.empty() || reference.size() != test.size()) {
    return absl::InvalidArgumentError(absl::StrCat("logit counts differ or are 0: reference ",
                                                   reference.size(), ", test ", test.size()));
  }
  GB_RETURN_IF_ERROR(CheckFinite(reference, "reference"));
  GB_RETURN_IF_ERROR(CheckFinite(test, "test"));
  const std::vector<double> log_p = LogSoftmax(reference);
  const std::vector<double> log_q = LogSoftmax(test);
  double kl = 0;
  for (size_t i = 0; i < log_p.size(); ++i) {
    kl += std::exp(log_p[i]) * (log_p[i] - log_q[i]);
    max_abs_diff_ = std::max(max_abs_diff_, std::abs(double{reference[i]} - double{test[i]}));
  }
  // Rounding can leave a tiny negative sum for identical distributions.
  kl = std::max(kl, 0.0);
  ++positions_;
  if (GreedyToken(reference) == GreedyToken(test)) ++agreements_;
  kl_sum_ += kl;
  kl_max_ = std::max(kl_max_, kl);
  return absl::OkStatus();
}

FidelityReport FidelityAccumulator::Report() const {
  FidelityReport r;
  r.positions = positions_;
  if (positions_ == 0) return r;
  r.top1_agreement = static_cast<double>(agreements_) / static_cast<double>(positions_);
  r.kl_mean = kl_sum_ / static_cast<double>(positions_);
  r.kl_max = kl_max_;
  r.max_abs_logit_diff = max_abs_diff_;
  return r;
}

absl::StatusOr<FidelityReport> CompareSessions(LlamaSession& reference, LlamaSession& test,
                                               int vocab, std::span<const int32_t> tokens) {
  absl::StatusOr<std::vector<float>> ref = reference.Eval(tokens, 0, LogitsFor::kAllTokens);
  if (!ref.ok()) {
    return absl::Status(ref.status().code(),
                        absl::StrCat("reference model: ", std::string(ref.status().message())));
  }
  absl::StatusOr<std::vector<float>> out = test.Eval(tokens, 0, LogitsFor::kAllTokens);
  if (!out.ok()) {
    return absl::Status(out.status().code(),
                        absl::StrCat("tested model: ", std::string(out.status().message())));
  }
  if (ref->size() != out->size() || ref->size() != tokens.size() * static_cast<size_t>(vocab)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the models' vocabularies differ: ", ref->size() / tokens.size(), " and ",
                     out->size() / tokens.size(), " logits per position"));
  }
  FidelityAccumulator acc;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::span<const float> r(ref->data() + t * vocab, vocab);
    const std::span<const float> o(out->data() + t * vocab, vocab);
    GB_RETURN_IF_ERROR(acc.Add(r, o));
  }
  return acc.Report();
}

}  // namespace gridbench::kernels::llama
