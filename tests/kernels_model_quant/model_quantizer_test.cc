// QuantizeModel on real GGUF files: what is converted and what is kept, the
// error it reports checked against the file it wrote, identical bytes for
// any thread count, and bad inputs refused with nothing left behind.
#include "kernels/model_quant/model_quantizer.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/gguf/gguf_writer.h"
#include "kernels/quant/fp16.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::model_quant {
namespace {

namespace fs = std::filesystem;
using gguf::GgufMetadata;
using gguf::GgufReader;
using gguf::GgufTensorSpec;
using gguf::GgufValue;
using quant::QuantType;
using ::testing::HasSubstr;

// A tensor to write: its spec and values (converted to the spec's type).
struct TestTensor {
  GgufTensorSpec spec;
  std::vector<float> values;
};

std::vector<float> Gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TestTensor Make(std::string name, QuantType type, std::vector<int64_t> shape, uint32_t seed) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return {{std::move(name), type, std::move(shape)}, Gaussian(n, seed)};
}

// A llama-like model small enough for a unit test. ffn_down's rows (96) are
// not a whole number of K-quant blocks.
std::vector<TestTensor> SmallModel(QuantType weights) {
  return {Make("token_embd.weight", weights, {256, 40}, 1),
          Make("blk.0.attn_norm.weight", QuantType::kF32, {256}, 2),
          Make("blk.0.attn_q.weight", weights, {256, 64}, 3),
          Make("blk.0.ffn_down.weight", weights, {96, 256}, 4),
          Make("output.weight", weights, {256, 40}, 5)};
}

void WriteModel(const std::string& path, const std::vector<TestTensor>& tensors) {
  GgufMetadata metadata;
  ASSERT_TRUE(metadata.Add("general.architecture", GgufValue{std::string("llama")}).ok());
  ASSERT_TRUE(metadata.Add("general.file_type", GgufValue{uint32_t{0}}).ok());
  std::vector<GgufTensorSpec> specs;
  for (const TestTensor& t : tensors) specs.push_back(t.spec);
  absl::StatusOr<gguf::GgufWriter> writer = gguf::GgufWriter::Create(path, metadata, specs);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const TestTensor& t : tensors) {
    const int64_t cols = t.spec.shape[0], rows = static_cast<int64_t>(t.values.size()) / cols;
    std::vector<uint8_t> bytes(rows * quant::RowBytes(t.spec.type, cols));
    if (t.spec.type == QuantType::kF32) {
      // Raw, so that a test can plant a NaN (Quantize refuses one).
      std::memcpy(bytes.data(), t.values.data(), bytes.size());
    } else {
      ASSERT_TRUE(
          quant::Quantize(t.spec.type, t.spec.name, t.values.data(), rows, cols, bytes.data())
              .ok());
    }
    ASSERT_TRUE(writer->Append(bytes).ok());
  }
  ASSERT_TRUE(writer->Finish().ok());
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The values of `name` in the file at `path`, dequantized.
std::vector<float> ReadValues(const std::string& path, const std::string& name) {
  absl::StatusOr<GgufReader> reader = GgufReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<const gguf::GgufTensorInfo*> t = reader->FindTensor(name);
  EXPECT_TRUE(t.ok()) << t.status();
  const int64_t cols = (*t)->shape[0], rows = (*t)->element_count() / cols;
  std::vector<float> out(rows * cols);
  EXPECT_TRUE(
      quant::Dequantize((*t)->type, reader->TensorBytes(**t).data(), rows, cols, out.data()).ok());
  return out;
}

class ModelQuantizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    input_ = (dir_ / "in.gguf").string();
    output_ = (dir_ / "out.gguf").string();
  }

  fs::path dir_;
  std::string input_, output_;
};

struct TypeBound {
  QuantType type;
  double max_relative_rmse;  // For Gaussian weights; each type's usual error, with margin.
};

TEST_F(ModelQuantizerTest, EachTypeConvertsMatricesAndReportsTheErrorOfTheFileItWrote) {
  const std::vector<TestTensor> model = SmallModel(QuantType::kF32);
  ASSERT_NO_FATAL_FAILURE(WriteModel(input_, model));
  for (const TypeBound& want :
       {TypeBound{QuantType::kQ8_0, 0.01}, TypeBound{QuantType::kQ6_K, 0.03},
        TypeBound{QuantType::kQ4_K, 0.08}, TypeBound{QuantType::kQ4_0, 0.15}}) {
    SCOPED_TRACE(quant::QuantTypeName(want.type));
    ModelQuantizeOptions options;
    options.target = want.type;
    absl::StatusOr<ModelQuantizeReport> report = QuantizeModel(input_, output_, options);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->tensors.size(), 5u);
    const TensorQuantizeReport& q = report->tensors[2];
    EXPECT_EQ(q.output_type, want.type);
    EXPECT_EQ(q.note, "");
    EXPECT_GT(q.error.relative_rmse, 0);
    EXPECT_LT(q.error.relative_rmse, want.max_relative_rmse);
    // Recomputed from the output file, independently of the quantizer's sums.
    const std::vector<float> restored = ReadValues(output_, "blk.0.attn_q.weight");
    double e2 = 0, o2 = 0;
    for (size_t i = 0; i < restored.size(); ++i) {
      e2 += std::pow(restored[i] - model[2].values[i], 2);
      o2 += std::pow(model[2].values[i], 2);
    }
    EXPECT_NEAR(q.error.relative_rmse, std::sqrt(e2 / o2), 1e-9);
    EXPECT_EQ(report->output_file_bytes, fs::file_size(output_));
    EXPECT_LT(report->output_file_bytes, report->input_file_bytes);
    EXPECT_EQ(report->quantized_tensors, 2);
    EXPECT_EQ(report->error.count, 256 * 64 + 96 * 256);
  }
}

TEST_F(ModelQuantizerTest, KeptTensorsAreCopiedByteForByteAndOddRowsFallBack) {
  ASSERT_NO_FATAL_FAILURE(WriteModel(input_, SmallModel(QuantType::kF16)));
  ModelQuantizeOptions options;
  options.target = QuantType::kQ4_K;
  absl::StatusOr<ModelQuantizeReport> report = QuantizeModel(input_, output_, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->tensors[0].output_type, QuantType::kF16);
  EXPECT_THAT(report->tensors[0].note, HasSubstr("kept (matches \"token_embd.weight\")"));
  EXPECT_THAT(report->tensors[1].note, HasSubstr("*norm*"));
  EXPECT_EQ(report->tensors[3].output_type, QuantType::kQ8_0);
  EXPECT_EQ(report->tensors[3].note, "row length 96 is not a multiple of 256; Q8_0 instead");

  absl::StatusOr<GgufReader> in = GgufReader::Open(input_);
  absl::StatusOr<GgufReader> out = GgufReader::Open(output_);
  ASSERT_TRUE(in.ok() && out.ok());
  for (const char* kept : {"token_embd.weight", "blk.0.attn_norm.weight", "output.weight"}) {
    const auto a = in->TensorBytes(**in->FindTensor(kept));
    const auto b = out->TensorBytes(**out->FindTensor(kept));
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << kept;
  }
  EXPECT_EQ(*out->metadata().Get<uint32_t>("general.file_type"), 14u);
  EXPECT_EQ(*out->metadata().Get<uint32_t>("general.quantization_version"), 2u);
  EXPECT_EQ(*out->metadata().Get<std::string>("general.architecture"), "llama");
}

TEST_F(ModelQuantizerTest, OutputBytesDoNotDependOnThreads) {
  ASSERT_NO_FATAL_FAILURE(WriteModel(input_, SmallModel(QuantType::kF16)));
  ModelQuantizeOptions options;
  options.target = QuantType::kQ4_0;
  options.keep = {};
  options.threads = 1;
  absl::StatusOr<ModelQuantizeReport> one = QuantizeModel(input_, output_, options);
  ASSERT_TRUE(one.ok()) << one.status();
  const std::string first = ReadBytes(output_);
  options.threads = 4;
  absl::StatusOr<ModelQuantizeReport> four = QuantizeModel(input_, output_, options);
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(ReadBytes(output_), first);
  EXPECT_EQ(one->error.rmse, four->error.rmse);
  EXPECT_EQ(one->quantized_tensors, 4);
}

TEST_F(ModelQuantizerTest, BadInputsAreRefusedNamingTheProblemAndLeaveNoOutput) {
  std::vector<TestTensor> model = SmallModel(QuantType::kF32);
  model[2].spec.type = QuantType::kQ8_0;
  ASSERT_NO_FATAL_FAILURE(WriteModel(input_, model));
  EXPECT_THAT(QuantizeModel(input_, output_, {}).status().message(),
              HasSubstr("tensor blk.0.attn_q.weight is Q8_0"));

  model = SmallModel(QuantType::kF32);
  model[3].values[300] = std::nanf("");
  ASSERT_NO_FATAL_FAILURE(WriteModel(input_, model));
  const absl::Status nan = QuantizeModel(input_, output_, {}).status();
  EXPECT_EQ(nan.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(nan.message(), HasSubstr("blk.0.ffn_down.weight"));
  EXPECT_THAT(nan.message(), HasSubstr("NaN"));

  EXPECT_THAT(ParseQuantizeTarget("q5_1").status().message(),
              HasSubstr("must be one of q8_0, q4_0, q4_k, q6_k"));
  EXPECT_EQ(*ParseQuantizeTarget("Q4_k"), QuantType::kQ4_K);
  ModelQuantizeOptions f16_target;
  f16_target.target = QuantType::kF16;
  EXPECT_FALSE(QuantizeModel(input_, output_, f16_target).ok());

  std::string bytes = ReadBytes(input_);
  std::ofstream(input_, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THAT(QuantizeModel(input_, output_, {}).status().message(), HasSubstr(input_));
  EXPECT_FALSE(fs::exists(output_));
}

}  // namespace
}  // namespace gridbench::kernels::model_quant
