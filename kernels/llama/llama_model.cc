#include "kernels/llama/llama_model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/gguf/gguf_format.h"

namespace gridbench::kernels::llama {
namespace {

using gguf::GgufMetadata;
using gguf::GgufReader;
using gguf::GgufValue;
using quant::QuantType;

constexpr int kMaxSize = 1 << 24;  // Far above any real model; keeps int arithmetic safe.

bool IsWeightType(QuantType type) {
  switch (type) {
    case QuantType::kF32:
    case QuantType::kF16:
    case QuantType::kQ8_0:
    case QuantType::kQ4_0:
    case QuantType::kQ4_K:
    case QuantType::kQ6_K:
      return true;
    case QuantType::kQ8_K:
      return false;
  }
  return false;
}

// An integer key of any GGUF integer type (converters differ), checked to lie
// in [1, kMaxSize]. `fallback` is used when the key is absent, unless it is 0.
absl::StatusOr<int> GetSize(const GgufMetadata& m, std::string_view key, int fallback = 0) {
  const GgufValue* v = m.Find(key);
  if (v == nullptr) {
    if (fallback > 0) return fallback;
    return absl::InvalidArgumentError(absl::StrCat("missing metadata key ", std::string(key)));
  }
  std::optional<int64_t> value;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if (x >= 0 && static_cast<uint64_t>(x) <= kMaxSize)
            value = static_cast<int64_t>(x);
          else
            value = -1;
        }
      },
      v->value);
  if (!value) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key ", std::string(key), " is ",
                                                   gguf::GgufValueTypeName(v->type()),
                                                   ", expected an integer"));
  }
  if (*value < 1) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key ", std::string(key), " is ",
                                                   gguf::GgufValueText(*v), ", expected 1 to ",
                                                   kMaxSize));
  }
  return static_cast<int>(*value);
}

// A float key that must be positive and finite; `fallback` when absent and
// fallback > 0.
absl::StatusOr<float> GetPositiveFloat(const GgufMetadata& m, std::string_view key,
                                       float fallback = 0) {
  if (m.Find(key) == nullptr && fallback > 0) return fallback;
  GB_ASSIGN_OR_RETURN(float value, m.Get<float>(key));
  if (!(value > 0) || value > 3.4e38f) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata key ", std::string(key), " is ", value, ", expected > 0"));
  }
  return value;
}

absl::StatusOr<LlamaHparams> ReadHparams(const GgufMetadata& m) {
  GB_ASSIGN_OR_RETURN(std::string arch, m.Get<std::string>("general.architecture"));
  if (arch != "llama") {
    return absl::InvalidArgumentError(
        absl::StrCat("architecture is \"", arch, "\", only llama is supported"));
  }
  LlamaHparams h;
  GB_ASSIGN_OR_RETURN(h.dim, GetSize(m, "llama.embedding_length"));
  GB_ASSIGN_OR_RETURN(h.layers, GetSize(m, "llama.block_count"));
  GB_ASSIGN_OR_RETURN(h.heads, GetSize(m, "llama.attention.head_count"));
  GB_ASSIGN_OR_RETURN(h.kv_heads, GetSize(m, "llama.attention.head_count_kv", h.heads));
  GB_ASSIGN_OR_RETURN(h.ff, GetSize(m, "llama.feed_forward_length"));
  GB_ASSIGN_OR_RETURN(h.context, GetSize(m, "llama.context_length"));
  GB_ASSIGN_OR_RETURN(h.rope_freq_base, GetPositiveFloat(m, "llama.rope.freq_base", 10000.0f));
  GB_ASSIGN_OR_RETURN(h.rms_eps, GetPositiveFloat(m, "llama.attention.layer_norm_rms_epsilon"));
  if (h.dim % h.heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama.attention.head_count ", h.heads, " does not divide llama.embedding_length ", h.dim));
  }
  if (h.heads % h.kv_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat("llama.attention.head_count_kv ", h.kv_heads,
                                                   " does not divide llama.attention.head_count ",
                                                   h.heads));
  }
  h.head_dim = h.dim / h.heads;
  if (h.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "head size ", h.head_dim, " (embedding_length / head_count) is odd; RoPE rotates pairs"));
  }
  if (m.Find("llama.rope.dimension_count") != nullptr) {
    GB_ASSIGN_OR_RETURN(int rope_dims, GetSize(m, "llama.rope.dimension_count"));
    if (rope_dims != h.head_dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("llama.rope.dimension_count ", rope_dims, " is not the head size ",
                       h.head_dim, "; partial rotary embeddings are not supported"));
    }
  }
  return h;
}

// Finds tensor `name`, checks its type and that its shape is `shape`.
absl::StatusOr<WeightView> View(const GgufReader& reader, const std::string& name,
                                std::vector<int64_t> shape) {
  const absl::StatusOr<const gguf::GgufTensorInfo*> found = reader.FindTensor(name);
  if (!found.ok()) return absl::InvalidArgumentError(absl::StrCat("missing tensor ", name));
  const gguf::GgufTensorInfo& t = **found;
  if (!IsWeightType(t.type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", name, " is ", std::string(quant::QuantTypeName(t.type)),
                     ", which is not a weight type (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K)"));
  }
  if (t.shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat("tensor ", name, " has shape ",
                                                   gguf::ShapeString(t.shape), ", expected ",
                                                   gguf::ShapeString(shape), " from the metadata"));
  }
  return WeightView{t.type, shape[0], shape.size() > 1 ? shape[1] : 1,
                    reader.TensorBytes(t).data()};
}

}  // namespace

absl::StatusOr<LlamaModel> LlamaModel::Open(const std::string& path) {
  GB_ASSIGN_OR_RETURN(GgufReader opened, GgufReader::Open(path));
  LlamaModel model;
  model.reader_ = std::make_unique<GgufReader>(std::move(opened));
  const GgufReader& r = *model.reader_;
  const auto in_file = [&path](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  };

  absl::StatusOr<LlamaHparams> hparams = ReadHparams(r.metadata());
  if (!hparams.ok()) return in_file(absl::InvalidArgumentError(hparams.status().message()));
  LlamaHparams& h = model.hparams_ = *hparams;

  // The vocabulary size is whatever token_embd holds; everything else must
  // agree with it.
  const absl::StatusOr<const gguf::GgufTensorInfo*> embd = r.FindTensor("token_embd.weight");
  if (!embd.ok()) return in_file(absl::InvalidArgumentError("missing tensor token_embd.weight"));
  if ((*embd)->shape.size() != 2 || (*embd)->shape[1] > kMaxSize) {
    return in_file(absl::InvalidArgumentError(absl::StrCat("tensor token_embd.weight has shape ",
                                                           gguf::ShapeString((*embd)->shape),
                                                           ", expected [", h.dim, ", vocab]")));
  }
  h.vocab = static_cast<int>((*embd)->shape[1]);

  const int64_t dim = h.dim, kv_dim = h.kv_dim(), ff = h.ff, vocab = h.vocab;
  const auto view = [&](const std::string& name, std::vector<int64_t> shape,
                        WeightView& out) -> absl::Status {
    absl::StatusOr<WeightView> v = View(r, name, std::move(shape));
    if (!v.ok()) return in_file(v.status());
    out = *v;
    model.weight_bytes_ += out.row_bytes() * out.rows;
    return absl::OkStatus();
  };
  GB_RETURN_IF_ERROR(view("token_embd.weight", {dim, vocab}, model.token_embd_));
  model.layers_.resize(h.layers);
  for (int i = 0; i < h.layers; ++i) {
    const std::string blk = absl::StrCat("blk.", i, ".");
    LlamaLayer& l = model.layers_[i];
    GB_RETURN_IF_ERROR(view(blk + "attn_norm.weight", {dim}, l.attn_norm));
    GB_RETURN_IF_ERROR(view(blk + "attn_q.weight", {dim, dim}, l.attn_q));
    GB_RETURN_IF_ERROR(view(blk + "attn_k.weight", {dim, kv_dim}, l.attn_k));
    GB_RETURN_IF_ERROR(view(blk + "attn_v.weight", {dim, kv_dim}, l.attn_v));
    GB_RETURN_IF_ERROR(view(blk + "attn_output.weight", {dim, dim}, l.attn_output));
    GB_RETURN_IF_ERROR(view(blk + "ffn_norm.weight", {dim}, l.ffn_norm));
    GB_RETURN_IF_ERROR(view(blk + "ffn_gate.weight", {dim, ff}, l.ffn_gate));
    GB_RETURN_IF_ERROR(view(blk + "ffn_up.weight", {dim, ff}, l.ffn_up));
    GB_RETURN_IF_ERROR(view(blk + "ffn_down.weight", {ff, dim}, l.ffn_down));
  }
  GB_RETURN_IF_ERROR(view("output_norm.weight", {dim}, model.output_norm_));
  if (r.FindTensor("output.weight").ok()) {
    GB_RETURN_IF_ERROR(view("output.weight", {dim, vocab}, model.output_));
  } else {
    model.output_ = model.token_embd_;  // Tied embeddings.
  }
  return model;
}

}  // namespace gridbench::kernels::llama
