// A llama-architecture model read from a GGUF file: its hyperparameters from
// the metadata and a view of every weight tensor inside the file's mapping
// (nothing is copied or converted at load time).
//
// Everything the forward pass relies on is checked at Open, so a bad file is
// refused before any token runs: the architecture must be "llama"; the sizes
// positive and consistent (heads divide the embedding length, kv heads
// divide heads, an even head size, a rope dimension count equal to the head
// size when present); every tensor present with the shape the metadata
// implies and a type the kernels handle (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K,
// mixed per tensor). output.weight may be absent, in which case the token
// embeddings are used for the output projection, as llama.cpp does.
//
// Shapes are in ggml order: shape[0] is the row length, so a matrix
// [cols, rows] maps `cols` inputs to `rows` outputs.
//
// Thread-safety: immutable after Open; may be shared by any number of
// threads and sessions.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_MODEL_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_MODEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::llama {

struct LlamaHparams {
  int dim = 0;                      // llama.embedding_length
  int layers = 0;                   // llama.block_count
  int heads = 0;                    // llama.attention.head_count
  int kv_heads = 0;                 // llama.attention.head_count_kv (head_count if absent)
  int head_dim = 0;                 // dim / heads
  int ff = 0;                       // llama.feed_forward_length
  int context = 0;                  // llama.context_length: the most positions a session may hold.
  int vocab = 0;                    // Rows of token_embd.weight.
  float rope_freq_base = 10000.0f;  // llama.rope.freq_base (10000 if absent)
  float rms_eps = 1e-5f;            // llama.attention.layer_norm_rms_epsilon

  int kv_dim() const { return head_dim * kv_heads; }
};

// One weight tensor inside the mapping: `rows` rows of `cols` values (a
// vector is one row), each row RowBytes(type, cols) bytes.
struct WeightView {
  quant::QuantType type = quant::QuantType::kF32;
  int64_t cols = 0;
  int64_t rows = 0;
  const uint8_t* data = nullptr;

  size_t row_bytes() const { return quant::RowBytes(type, cols); }
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }
};

struct LlamaLayer {
  WeightView attn_norm;    // [dim]
  WeightView attn_q;       // [dim, dim]
  WeightView attn_k;       // [dim, kv_dim]
  WeightView attn_v;       // [dim, kv_dim]
  WeightView attn_output;  // [dim, dim]
  WeightView ffn_norm;     // [dim]
  WeightView ffn_gate;     // [dim, ff]
  WeightView ffn_up;       // [dim, ff]
  WeightView ffn_down;     // [ff, dim]

  // One of the block's matrices and its GGUF name after "blk.N.".
  struct Matrix {
    const char* name;  // E.g. "attn_q.weight".
    const WeightView* view;
  };
  // The seven matrices, in the order the graph uses them (q, k, v, output,
  // gate, up, down).
  std::array<Matrix, 7> matrices() const {
    return {{{"attn_q.weight", &attn_q},
             {"attn_k.weight", &attn_k},
             {"attn_v.weight", &attn_v},
             {"attn_output.weight", &attn_output},
             {"ffn_gate.weight", &ffn_gate},
             {"ffn_up.weight", &ffn_up},
             {"ffn_down.weight", &ffn_down}}};
  }
};

class LlamaModel {
 public:
  // Opens `path` and checks it as described above. Errors: those of
  // GgufReader::Open; INVALID_ARGUMENT with the path and the problem, e.g.
  // "architecture is \"gpt2\", only llama is supported", "missing tensor
  // blk.1.ffn_up.weight", "tensor blk.0.attn_k.weight has shape [64, 64],
  // expected [64, 32] from the metadata", "tensor output.weight is Q8_K,
  // which is not a weight type (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K)",
  // "llama.attention.head_count 5 does not divide llama.embedding_length 64".
  static absl::StatusOr<LlamaModel> Open(const std::string& path);

  const LlamaHparams& hparams() const { return hparams_; }
  const WeightView& token_embd() const { return token_embd_; }  // [dim, vocab]
  const std::vector<LlamaLayer>& layers() const { return layers_; }
  const WeightView& output_norm() const { return output_norm_; }  // [dim]
  const WeightView& output() const { return output_; }            // [dim, vocab]
  // Bytes of all the weight tensors (what one token's pass reads at most).
  uint64_t weight_bytes() const { return weight_bytes_; }

 private:
  LlamaModel() = default;

  // Owns the mapping the views point into; on the heap so a moved model's
  // views stay valid.
  std::unique_ptr<gguf::GgufReader> reader_;
  LlamaHparams hparams_;
  WeightView token_embd_;
  std::vector<LlamaLayer> layers_;
  WeightView output_norm_;
  WeightView output_;
  uint64_t weight_bytes_ = 0;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_MODEL_H_
