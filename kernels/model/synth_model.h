// Synthetic llama-architecture models: a GGUF file with the metadata keys,
// tensor names and minimal tokenizer vocabulary that llama.cpp and other GGUF
// readers expect, filled with seeded random weights, so tests and demos need
// no downloads. The same spec gives the same bytes on every machine (see
// seeded_values.h).
//
// Weights: every matrix has values ~ N(0, 1/sqrt(fan_in)) with fan_in its row
// length (ggml's ne0), which keeps activations of a forward pass at a sane
// scale; norm weights are 1 + N(0, 0.01). Matrices are F32 or F16, norms
// always F32 (as llama.cpp's converters write them). Tensor i (in file
// order) draws from SeededValues(seed, i).
//
// Vocabulary (tokenizer.ggml.model "llama"): 0 "<unk>", 1 "<s>" (BOS),
// 2 "</s>" (EOS), 3..258 the byte tokens "<0x00>".."<0xFF>", then filler
// tokens "tok259", "tok260", ... up to `vocab`.
//
// Thread-safety: pure functions (WriteSyntheticLlama writes only its path).
#ifndef GRIDBENCH_KERNELS_MODEL_SYNTH_MODEL_H_
#define GRIDBENCH_KERNELS_MODEL_SYNTH_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_encoder.h"
#include "kernels/gguf/gguf_value.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::model {

// Tokens before the filler ones: <unk>, <s>, </s> and 256 byte tokens.
inline constexpr int kMinLlamaVocab = 3 + 256;

struct LlamaSpec {
  int dim = 0;       // Embedding length.
  int layers = 0;    // Transformer blocks.
  int heads = 0;     // Attention heads; dim / heads is the head size.
  int kv_heads = 0;  // Key/value heads (grouped-query attention when < heads).
  int ff = 0;        // Feed-forward length.
  int vocab = 0;
  uint64_t seed = 0;
  int context = 2048;
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;
  quant::QuantType type = quant::QuantType::kF32;  // Of the matrices: F32 or F16.
  std::string name = "gridbench synthetic llama";  // general.name
};

// OK, or INVALID_ARGUMENT naming the first field that is wrong: every size
// at least 1 and at most kMaxLlamaSize, vocab at least kMinLlamaVocab, dim a
// multiple of heads, heads a multiple of kv_heads, an even head size (RoPE
// rotates pairs), positive rope_freq_base and rms_eps, type F32 or F16.
absl::Status ValidateLlamaSpec(const LlamaSpec& spec);
inline constexpr int kMaxLlamaSize = 1 << 20;

// The metadata the file carries (spec must be valid).
gguf::GgufMetadata LlamaMetadata(const LlamaSpec& spec);

// The tensors, in file order: token_embd.weight, then per block N
// blk.N.attn_norm/attn_q/attn_k/attn_v/attn_output/ffn_norm/ffn_gate/ffn_up/
// ffn_down.weight, then output_norm.weight, output.weight.
std::vector<gguf::GgufTensorSpec> LlamaTensors(const LlamaSpec& spec);

// Validates `spec` and writes the model to `path` through GgufWriter, one
// tensor at a time in chunks of at most a few MiB, so memory use does not
// grow with the model. Errors from ValidateLlamaSpec and GgufWriter.
absl::Status WriteSyntheticLlama(const LlamaSpec& spec, const std::string& path);

}  // namespace gridbench::kernels::model

#endif  // GRIDBENCH_KERNELS_MODEL_SYNTH_MODEL_H_
