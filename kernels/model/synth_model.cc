#include "kernels/model/synth_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/gguf/gguf_writer.h"
#include "kernels/model/seeded_values.h"
#include "kernels/quant/fp16.h"

namespace gridbench::kernels::model {
namespace {

using gguf::GgufArray;
using gguf::GgufMetadata;
using gguf::GgufTensorSpec;
using gguf::GgufValue;
using quant::QuantType;

// llama.cpp's llama_token_type values.
enum TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kByte = 6 };
// llama.cpp's llama_ftype values for all-F32 and mostly-F16 models.
constexpr uint32_t kFileTypeAllF32 = 0;
constexpr uint32_t kFileTypeMostlyF16 = 1;
constexpr double kNormNoise = 0.01;
// Values generated per Append: 4 MiB of F32.
constexpr size_t kChunkValues = size_t{1} << 20;

absl::Status CheckRange(const char* field, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", value, "; it must be between ", min, " and ", max));
}

void AddVocabulary(const LlamaSpec& spec, GgufMetadata& m) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {kUnknown, kControl, kControl};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.emplace_back(name);
    types.push_back(kByte);
  }
  for (int id = kMinLlamaVocab; id < spec.vocab; ++id) {
    tokens.push_back(absl::StrCat("tok", id));
    types.push_back(kNormal);
  }
  // SentencePiece scores: higher is merged first; filler tokens rank by id.
  std::vector<float> scores(tokens.size(), 0.0f);
  for (int id = kMinLlamaVocab; id < spec.vocab; ++id) scores[id] = -static_cast<float>(id);
  auto add = [&m](const char* key, GgufValue::Storage v) {
    (void)m.Add(key, GgufValue{std::move(v)});  // Keys are distinct constants.
  };
  add("tokenizer.ggml.model", std::string("llama"));
  add("tokenizer.ggml.tokens", GgufArray{std::move(tokens)});
  add("tokenizer.ggml.scores", GgufArray{std::move(scores)});
  add("tokenizer.ggml.token_type", GgufArray{std::move(types)});
  add("tokenizer.ggml.bos_token_id", uint32_t{1});
  add("tokenizer.ggml.eos_token_id", uint32_t{2});
  add("tokenizer.ggml.unknown_token_id", uint32_t{0});
}

bool IsNorm(const GgufTensorSpec& t) { return t.shape.size() == 1; }

// Streams tensor `index`'s values into `writer`.
absl::Status WriteTensor(const LlamaSpec& spec, const GgufTensorSpec& t, uint64_t index,
                         gguf::GgufWriter& writer) {
  SeededValues values(spec.seed, index);
  const double scale = IsNorm(t) ? kNormNoise : 1.0 / std::sqrt(static_cast<double>(t.shape[0]));
  const double offset = IsNorm(t) ? 1.0 : 0.0;
  int64_t left = 1;
  for (int64_t d : t.shape) left *= d;
  std::vector<float> f32(std::min<int64_t>(left, kChunkValues));
  std::vector<uint16_t> f16(t.type == QuantType::kF16 ? f32.size() : 0);
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(left, kChunkValues));
    for (size_t i = 0; i < n; ++i) {
      f32[i] = static_cast<float>(offset + values.NextStandard() * scale);
    }
    const void* data = f32.data();
    size_t bytes = n * sizeof(float);
    if (t.type == QuantType::kF16) {
      quant::Fp32ToFp16Row(f32.data(), f16.data(), static_cast<int64_t>(n));
      data = f16.data();
      bytes = n * sizeof(uint16_t);
    }
    GB_RETURN_IF_ERROR(writer.Append({static_cast<const uint8_t*>(data), bytes}));
    left -= static_cast<int64_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLlamaSpec(const LlamaSpec& spec) {
  GB_RETURN_IF_ERROR(CheckRange("dim", spec.dim, 1, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("layers", spec.layers, 1, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("heads", spec.heads, 1, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("kv_heads", spec.kv_heads, 1, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("ff", spec.ff, 1, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("vocab", spec.vocab, kMinLlamaVocab, kMaxLlamaSize));
  GB_RETURN_IF_ERROR(CheckRange("context", spec.context, 1, kMaxLlamaSize));
  if (spec.dim % spec.heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dim ", spec.dim, " is not a multiple of heads ", spec.heads));
  }
  if (spec.heads % spec.kv_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("heads ", spec.heads, " is not a multiple of kv_heads ", spec.kv_heads));
  }
  if ((spec.dim / spec.heads) % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("head size dim / heads = ", spec.dim / spec.heads,
                     " is odd; rotary embeddings need it even"));
  }
  if (!(spec.rope_freq_base > 0) || !(spec.rms_eps > 0)) {
    return absl::InvalidArgumentError("rope_freq_base and rms_eps must be positive");
  }
  if (spec.type != QuantType::kF32 && spec.type != QuantType::kF16) {
    return absl::InvalidArgumentError(
        absl::StrCat("type ", std::string(quant::QuantTypeName(spec.type)),
                     " is not F32 or F16; quantize the synthetic model to get other types"));
  }
  return absl::OkStatus();
}

GgufMetadata LlamaMetadata(const LlamaSpec& spec) {
  GgufMetadata m;
  auto add = [&m](const char* key, GgufValue::Storage v) {
    (void)m.Add(key, GgufValue{std::move(v)});  // Keys are distinct constants.
  };
  auto u32 = [](int v) { return static_cast<uint32_t>(v); };
  add("general.architecture", std::string("llama"));
  add("general.name", spec.name);
  add("general.file_type", spec.type == QuantType::kF16 ? kFileTypeMostlyF16 : kFileTypeAllF32);
  add("gridbench.synthetic.seed", spec.seed);
  add("llama.vocab_size", u32(spec.vocab));
  add("llama.context_length", u32(spec.context));
  add("llama.embedding_length", u32(spec.dim));
  add("llama.block_count", u32(spec.layers));
  add("llama.feed_forward_length", u32(spec.ff));
  add("llama.attention.head_count", u32(spec.heads));
  add("llama.attention.head_count_kv", u32(spec.kv_heads));
  add("llama.rope.dimension_count", u32(spec.dim / spec.heads));
  add("llama.rope.freq_base", spec.rope_freq_base);
  add("llama.attention.layer_norm_rms_epsilon", spec.rms_eps);
  AddVocabulary(spec, m);
  return m;
}

std::vector<GgufTensorSpec> LlamaTensors(const LlamaSpec& spec) {
  const int64_t dim = spec.dim, ff = spec.ff, vocab = spec.vocab;
  const int64_t kv_dim = dim / spec.heads * spec.kv_heads;
  const QuantType type = spec.type;
  std::vector<GgufTensorSpec> t;
  t.push_back({"token_embd.weight", type, {dim, vocab}});
  for (int n = 0; n < spec.layers; ++n) {
    const std::string blk = absl::StrCat("blk.", n, ".");
    t.push_back({blk + "attn_norm.weight", QuantType::kF32, {dim}});
    t.push_back({blk + "attn_q.weight", type, {dim, dim}});
    t.push_back({blk + "attn_k.weight", type, {dim, kv_dim}});
    t.push_back({blk + "attn_v.weight", type, {dim, kv_dim}});
    t.push_back({blk + "attn_output.weight", type, {dim, dim}});
    t.push_back({blk + "ffn_norm.weight", QuantType::kF32, {dim}});
    t.push_back({blk + "ffn_gate.weight", type, {dim, ff}});
    t.push_back({blk + "ffn_up.weight", type, {dim, ff}});
    t.push_back({blk + "ffn_down.weight", type, {ff, dim}});
  }
  t.push_back({"output_norm.weight", QuantType::kF32, {dim}});
  t.push_back({"output.weight", type, {dim, vocab}});
  return t;
}

absl::Status WriteSyntheticLlama(const LlamaSpec& spec, const std::string& path) {
  GB_RETURN_IF_ERROR(ValidateLlamaSpec(spec));
  const std::vector<GgufTensorSpec> tensors = LlamaTensors(spec);
  GB_ASSIGN_OR_RETURN(gguf::GgufWriter writer,
                      gguf::GgufWriter::Create(path, LlamaMetadata(spec), tensors));
  for (size_t i = 0; i < tensors.size(); ++i) {
    GB_RETURN_IF_ERROR(WriteTensor(spec, tensors[i], i, writer));
  }
  return writer.Finish();
}

}  // namespace gridbench::kernels::model
