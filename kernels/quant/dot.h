// Dot products between a row of weights and a row of activations.
//
// Quantized weights are multiplied with activations quantized to the type's
// activation format (ggml's vec_dot_type): Q8_0 and Q4_0 with Q8_0, Q4_K and
// Q6_K with Q8_K; F32 and F16 weights with F32 activations. Every variant
// (isa.h) computes the same sum; they differ only in float summation order,
// which tests bound with named tolerances.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_QUANT_DOT_H_
#define GRIDBENCH_KERNELS_QUANT_DOT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/quant/isa.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant {

// The activation format for weights of type `weights`; INVALID_ARGUMENT for
// Q8_K, which is only ever an activation format.
absl::StatusOr<QuantType> ActivationTypeFor(QuantType weights);

// The level whose code actually runs when `requested` is asked for with
// `weights` (a level without its own version of a kernel runs the next lower
// one). FAILED_PRECONDITION if the CPU cannot run `requested`;
// INVALID_ARGUMENT as for ActivationTypeFor.
absl::StatusOr<Isa> DotIsa(QuantType weights, Isa requested);

// sum_i w[i] * a[i] over n values: `w` is a row of `weights` blocks, `a` a row
// of ActivationTypeFor(weights) blocks. Errors as for DotIsa, and
// INVALID_ARGUMENT if n is not a positive multiple of the block size.
absl::StatusOr<float> VecDot(QuantType weights, int64_t n, const void* w, const void* a,
                             Isa isa = BestIsa());

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_DOT_H_
