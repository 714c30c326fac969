// What a llama model costs in memory and memory traffic, from its
// hyperparameters and tensor sizes alone: used to refuse a model that will
// not fit before loading it, and to turn tokens/s into a fraction of the
// machine's memory bandwidth (a generated token must stream every weight
// matrix once, so tokens/s <= bandwidth / bytes read per token).
//
// Every session keeps its KV cache in fp32, as sizes here assume.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_LLAMA_MODEL_FOOTPRINT_H_
#define GRIDBENCH_KERNELS_LLAMA_MODEL_FOOTPRINT_H_

#include <cstdint>

#include "kernels/llama/llama_model.h"

namespace gridbench::kernels::llama {

// Bytes of a KV cache of `positions` positions (keys and values, fp32).
uint64_t KvCacheBytes(const LlamaHparams& h, int positions);

// Bytes one single-token step at position `pos` reads: every weight tensor
// except the token embeddings, of which it reads one row, plus the cached
// keys and values of positions 0..pos.
uint64_t BytesReadPerToken(const LlamaModel& model, int pos);

// The mean of BytesReadPerToken over positions 0..tokens-1: what a tg run
// of `tokens` steps reads per token.
double MeanBytesReadPerToken(const LlamaModel& model, int tokens);

// Memory a session of `positions` positions needs resident: the whole
// mapped file (its pages are touched during a pass), the KV cache and the
// per-token scratch for a batch of `batch` tokens.
uint64_t SessionResidentBytes(const LlamaModel& model, uint64_t file_bytes, int positions,
                              int batch);

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_MODEL_FOOTPRINT_H_
