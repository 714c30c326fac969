// Writes small llama GGUF files for the kernels/llama tests: the synthetic
// model's metadata and tensor list (kernels/model), optionally changed to
// make a bad file, with seeded values or values the test chooses.
#ifndef GRIDBENCH_TESTS_KERNELS_LLAMA_LLAMA_TEST_MODELS_H_
#define GRIDBENCH_TESTS_KERNELS_LLAMA_LLAMA_TEST_MODELS_H_

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_encoder.h"
#include "kernels/gguf/gguf_value.h"
#include "kernels/gguf/gguf_writer.h"
#include "kernels/llama/llama_model.h"
#include "kernels/llama/llama_reference.h"
#include "kernels/model/synth_model.h"
#include "kernels/model_quant/model_quantizer.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::llama {

// A model file before it is written: what a test may change.
struct TestModel {
  gguf::GgufMetadata metadata;
  std::vector<gguf::GgufTensorSpec> tensors;
  // Values of named tensors; the others get seeded values (norms near 1,
  // matrices ~ N(0, 1/sqrt(row length))).
  std::map<std::string, std::vector<float>> values;
};

inline TestModel MakeTestModel(const model::LlamaSpec& spec) {
  return {model::LlamaMetadata(spec), model::LlamaTensors(spec), {}};
}

// `m` with `key` set to `value`, or removed when `value` is empty.
inline gguf::GgufMetadata WithKey(const gguf::GgufMetadata& m, const std::string& key,
                                  std::optional<gguf::GgufValue> value) {
  gguf::GgufMetadata out;
  bool found = false;
  for (const auto& [k, v] : m.entries()) {
    if (k != key) {
      (void)out.Add(k, v);  // Keys of `m` are distinct.
    } else if (value) {
      (void)out.Add(k, *value);
      found = true;
    }
  }
  if (value && !found) (void)out.Add(key, *value);
  return out;
}

inline int64_t Elements(const gguf::GgufTensorSpec& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  return n;
}

inline absl::Status WriteTestModel(const TestModel& model, const std::string& path) {
  GB_ASSIGN_OR_RETURN(gguf::GgufWriter writer,
                      gguf::GgufWriter::Create(path, model.metadata, model.tensors));
  std::mt19937 rng(7);
  for (const gguf::GgufTensorSpec& t : model.tensors) {
    const int64_t cols = t.shape[0], rows = Elements(t) / cols;
    std::vector<float> v;
    if (auto it = model.values.find(t.name); it != model.values.end()) {
      v = it->second;
    } else {
      const bool is_norm = t.shape.size() == 1;
      std::normal_distribution<float> dist(is_norm ? 1.0f : 0.0f,
                                           is_norm ? 0.01f : 1.0f / std::sqrt(float(cols)));
      v.resize(rows * cols);
      for (float& x : v) x = dist(rng);
    }
    std::vector<uint8_t> bytes(rows * quant::RowBytes(t.type, cols));
    GB_RETURN_IF_ERROR(quant::Quantize(t.type, t.name, v.data(), rows, cols, bytes.data()));
    GB_RETURN_IF_ERROR(writer.Append(bytes));
  }
  return writer.Finish();
}

// The model the optimised passes are checked against the reference on: two
// blocks, grouped-query attention (two query heads per kv head), a 32-position
// context.
inline model::LlamaSpec PassTestSpec() {
  model::LlamaSpec spec;
  spec.dim = 256;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.ff = 512;
  spec.vocab = 300;
  spec.context = 32;
  spec.seed = 5;
  return spec;
}

// max |got - want| over all values, relative to max |want|.
inline double RelativeMaxDiff(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  return diff / scale;
}

// A fresh directory per test, removed afterwards.
class LlamaFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("llama_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // PassTestSpec's model with `type` weights: F32 and F16 written directly,
  // other types quantized from F32, keeping llama.cpp's default tensors
  // (token_embd, output, norms) unquantized when `keep_defaults`. Returns
  // its path.
  absl::StatusOr<std::string> WritePassTestModel(quant::QuantType type, bool keep_defaults) {
    model::LlamaSpec spec = PassTestSpec();
    if (type == quant::QuantType::kF16) spec.type = quant::QuantType::kF16;
    const std::string path = Path("model.gguf");
    GB_RETURN_IF_ERROR(model::WriteSyntheticLlama(spec, path));
    if (type == quant::QuantType::kF32 || type == quant::QuantType::kF16) return path;
    model_quant::ModelQuantizeOptions options;
    options.target = type;
    if (!keep_defaults) options.keep.clear();
    GB_RETURN_IF_ERROR(model_quant::QuantizeModel(path, Path("q.gguf"), options).status());
    return Path("q.gguf");
  }

  // WritePassTestModel's model, opened, and the reference pass's logits for
  // every one of `tokens`.
  absl::Status LoadPassTestModel(quant::QuantType type, bool keep_defaults,
                                 std::span<const int32_t> tokens,
                                 std::unique_ptr<LlamaModel>& model,
                                 std::vector<float>& reference_logits) {
    GB_ASSIGN_OR_RETURN(const std::string path, WritePassTestModel(type, keep_defaults));
    GB_ASSIGN_OR_RETURN(LlamaModel opened, LlamaModel::Open(path));
    model = std::make_unique<LlamaModel>(std::move(opened));
    GB_ASSIGN_OR_RETURN(LlamaReferenceSession reference, LlamaReferenceSession::Create(*model));
    GB_ASSIGN_OR_RETURN(reference_logits, reference.Eval(tokens, 0, LogitsFor::kAllTokens));
    return absl::OkStatus();
  }

  std::string Write(const TestModel& model, const std::string& name) {
    const std::string path = Path(name);
    const absl::Status status = WriteTestModel(model, path);
    EXPECT_TRUE(status.ok()) << status;
    return path;
  }

  std::filesystem::path dir_;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_TESTS_KERNELS_LLAMA_LLAMA_TEST_MODELS_H_
