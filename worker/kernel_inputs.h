// Inputs of the kernel benchmark kinds (gemm, gemv on every backend): seeded
// so that anyone can regenerate the exact inputs of a published result, and
// checked against the memory available before anything is allocated.
//
// Thread-safe (nothing here keeps state).
#ifndef GRIDBENCH_WORKER_KERNEL_INPUTS_H_
#define GRIDBENCH_WORKER_KERNEL_INPUTS_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "common/task_params.h"

namespace gridbench::worker {

// Fills each span in turn with the generator std::mt19937_64 seeded with
// `seed`: the first span takes the first draws, the next one the following
// draws, and so on. Each draw x becomes (x >> 40) * 2^-23 - 1, a float in
// [-1, 1) with 24 random bits. This is spelled out rather than using
// std::uniform_real_distribution, whose algorithm the standard leaves to each
// library. gemm fills A then B; gemv fills W (before quantizing) then x.
void FillSeededInputs(uint64_t seed, std::initializer_list<std::span<float>> spans);

// RESOURCE_EXHAUSTED, naming `what` and both sizes, when `need_bytes` exceeds
// `available_bytes`.
absl::Status CheckFitsInMemory(std::string_view what, uint64_t need_bytes,
                               uint64_t available_bytes);

// CheckFitsInMemory for the fp32 A, B and C of a gemm ("gemm MxNxK").
absl::Status CheckGemmFitsInMemory(const GemmParams& params, uint64_t available_bytes);

// CheckFitsInMemory against this machine's MemAvailable.
absl::Status CheckFitsInAvailableMemory(std::string_view what, uint64_t need_bytes);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_KERNEL_INPUTS_H_
