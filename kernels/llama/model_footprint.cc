#include "kernels/llama/model_footprint.h"

namespace gridbench::kernels::llama {

uint64_t KvCacheBytes(const LlamaHparams& h, int positions) {
  return 2ull * h.layers * static_cast<uint64_t>(positions) * h.kv_dim() * sizeof(float);
}

uint64_t BytesReadPerToken(const LlamaModel& model, int pos) {
  const WeightView& embd = model.token_embd();
  const uint64_t embd_bytes = static_cast<uint64_t>(embd.rows) * embd.row_bytes();
  // The output projection reuses token_embd when output.weight is absent;
  // then the whole table is read once per token after all.
  const bool tied = model.output().data == embd.data;
  const uint64_t weights = model.weight_bytes() - (tied ? 0 : embd_bytes) + embd.row_bytes();
  return weights + KvCacheBytes(model.hparams(), pos + 1);
}

double MeanBytesReadPerToken(const LlamaModel& model, int tokens) {
  if (tokens < 1) return 0;
  // KV traffic grows linearly with the position, so the mean is its value
  // at the mean position.
  const double kv_per_position = static_cast<double>(KvCacheBytes(model.hparams(), 1));
  const double first = static_cast<double>(BytesReadPerToken(model, 0));
  return first + kv_per_position * (tokens - 1) / 2.0;
}

uint64_t SessionResidentBytes(const LlamaModel& model, uint64_t file_bytes, int positions,
                              int batch) {
  const LlamaHparams& h = model.hparams();
  // Residual, normed, q, attention out, projection (dim each), k and v
  // (kv_dim), gate and up (ff), and the logits (vocab), per token.
  const uint64_t per_token =
      (5ull * h.dim + 2ull * h.kv_dim() + 2ull * h.ff + h.vocab) * sizeof(float);
  return file_bytes + KvCacheBytes(h, positions) + per_token * static_cast<uint64_t>(batch);
}

}  // namespace gridbench::kernels::llama
