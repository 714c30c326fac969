#include "kernels/model_quant/model_quantizer.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/gguf/gguf_writer.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::model_quant {
namespace {

using gguf::GgufMetadata;
using gguf::GgufReader;
using gguf::GgufTensorInfo;
using gguf::GgufValue;
using quant::QuantType;

// Rows quantized as one unit of parallel work. Fixed, so that error sums are
// merged in the same order whatever the thread count.
constexpr int64_t kRowsPerPiece = 32;

// llama.cpp's llama_ftype for a model whose weights are mostly `target`.
uint32_t LlamaFileType(QuantType target) {
  switch (target) {
    case QuantType::kQ4_0:
      return 2;
    case QuantType::kQ8_0:
      return 7;
    case QuantType::kQ4_K:
      return 14;  // LLAMA_FTYPE_MOSTLY_Q4_K_S: every matrix Q4_K.
    case QuantType::kQ6_K:
      return 18;
    default:
      return 0;
  }
}

struct TensorPlan {
  QuantType output_type;
  std::string note;
};

// What becomes of `tensor`: kept in its type or converted, and why.
absl::StatusOr<TensorPlan> PlanTensor(const GgufTensorInfo& tensor,
                                      const ModelQuantizeOptions& options) {
  for (const std::string& pattern : options.keep) {
    if (fnmatch(pattern.c_str(), tensor.name.c_str(), 0) == 0) {
      return TensorPlan{tensor.type, absl::StrCat("kept (matches \"", pattern, "\")")};
    }
  }
  if (tensor.shape.size() < 2) return TensorPlan{tensor.type, "1-D: never quantized"};
  if (tensor.type != QuantType::kF32 && tensor.type != QuantType::kF16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", tensor.name, " is ", std::string(quant::QuantTypeName(tensor.type)),
        ": the quantize input must have F32 or F16 weights (keep it with a pattern to copy it)"));
  }
  const int64_t row = tensor.shape[0];
  if (row % quant::BlockSize(options.target) == 0) return TensorPlan{options.target, ""};
  const std::string why =
      absl::StrCat("row length ", row, " is not a multiple of ", quant::BlockSize(options.target));
  if (row % quant::BlockSize(QuantType::kQ8_0) == 0) {
    return TensorPlan{QuantType::kQ8_0, absl::StrCat(why, "; Q8_0 instead")};
  }
  return TensorPlan{
      tensor.type, absl::StrCat(why, "; kept as ", std::string(quant::QuantTypeName(tensor.type)))};
}

// The input's metadata with the file type and quantization version of the
// output.
absl::StatusOr<GgufMetadata> OutputMetadata(const GgufMetadata& input, QuantType target) {
  const std::pair<std::string, GgufValue> updates[] = {
      {"general.file_type", GgufValue{LlamaFileType(target)}},
      {"general.quantization_version", GgufValue{uint32_t{2}}},
  };
  GgufMetadata output;
  for (const auto& [key, value] : input.entries()) {
    const auto* update = std::find_if(std::begin(updates), std::end(updates),
                                      [&](const auto& u) { return u.first == key; });
    GB_RETURN_IF_ERROR(output.Add(key, update == std::end(updates) ? value : update->second));
  }
  for (const auto& [key, value] : updates) {
    if (input.Find(key) == nullptr) GB_RETURN_IF_ERROR(output.Add(key, value));
  }
  return output;
}

// Converts rows [first, first + count) of `tensor` to `type` into `out`,
// adding the round-trip error to `error`.
absl::Status ConvertRows(const GgufTensorInfo& tensor, const uint8_t* bytes, QuantType type,
                         int64_t first, int64_t count, uint8_t* out,
                         quant::QuantErrorAccumulator& error) {
  const int64_t cols = tensor.shape[0];
  std::vector<float> original(count * cols);
  const uint8_t* in = bytes + first * quant::RowBytes(tensor.type, cols);
  if (tensor.type == QuantType::kF32) {
    std::memcpy(original.data(), in, original.size() * sizeof(float));
  } else {
    GB_RETURN_IF_ERROR(quant::Dequantize(tensor.type, in, count, cols, original.data()));
  }
  const std::string where = absl::StrCat(tensor.name, " rows from ", first);
  uint8_t* quantized = out + first * quant::RowBytes(type, cols);
  GB_RETURN_IF_ERROR(quant::Quantize(type, where, original.data(), count, cols, quantized));
  std::vector<float> restored(original.size());
  GB_RETURN_IF_ERROR(quant::Dequantize(type, quantized, count, cols, restored.data()));
  error.Add(original.data(), restored.data(), static_cast<int64_t>(original.size()));
  return absl::OkStatus();
}

// Converts the whole of `tensor` to `type`, `pool`'s threads each taking
// pieces of kRowsPerPiece rows.
absl::StatusOr<std::vector<uint8_t>> ConvertTensor(const GgufTensorInfo& tensor,
                                                   std::span<const uint8_t> bytes, QuantType type,
                                                   ThreadPool& pool,
                                                   quant::QuantErrorAccumulator& error) {
  const int64_t cols = tensor.shape[0];
  const int64_t rows = tensor.element_count() / cols;
  std::vector<uint8_t> out(rows * quant::RowBytes(type, cols));
  const int64_t pieces = (rows + kRowsPerPiece - 1) / kRowsPerPiece;
  std::vector<quant::QuantErrorAccumulator> piece_errors(pieces);
  std::vector<absl::Status> piece_status(pieces);
  pool.ParallelFor(pieces, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t first = p * kRowsPerPiece;
      piece_status[p] =
          ConvertRows(tensor, bytes.data(), type, first, std::min(kRowsPerPiece, rows - first),
                      out.data(), piece_errors[p]);
    }
  });
  for (int64_t p = 0; p < pieces; ++p) {
    GB_RETURN_IF_ERROR(piece_status[p]);
    error.Merge(piece_errors[p]);
  }
  return out;
}

// Writes `tensor` to `output` as `plan` says, converted or copied, and
// reports what became of it.
absl::StatusOr<TensorQuantizeReport> WriteTensor(const GgufTensorInfo& tensor,
                                                 std::span<const uint8_t> bytes,
                                                 const TensorPlan& plan, ThreadPool& pool,
                                                 gguf::GgufWriter& output,
                                                 quant::QuantErrorAccumulator& model_error) {
  TensorQuantizeReport t;
  t.name = tensor.name;
  t.shape = tensor.shape;
  t.input_type = tensor.type;
  t.output_type = plan.output_type;
  t.note = plan.note;
  t.input_bytes = tensor.byte_size;
  if (plan.output_type == tensor.type) {
    t.output_bytes = bytes.size();
    GB_RETURN_IF_ERROR(output.Append(bytes));
    return t;
  }
  quant::QuantErrorAccumulator error;
  GB_ASSIGN_OR_RETURN(std::vector<uint8_t> converted,
                      ConvertTensor(tensor, bytes, plan.output_type, pool, error));
  t.output_bytes = converted.size();
  t.error = error.Report();
  model_error.Merge(error);
  GB_RETURN_IF_ERROR(output.Append(converted));
  return t;
}

absl::Status CheckOptions(const ModelQuantizeOptions& options) {
  GB_RETURN_IF_ERROR(
      ParseQuantizeTarget(std::string(quant::QuantTypeName(options.target))).status());
  for (const std::string& pattern : options.keep) {
    if (pattern.empty()) return absl::InvalidArgumentError("keep: a pattern is empty");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> DefaultKeepPatterns() {
  return {"token_embd.weight", "output.weight", "*norm*"};
}

absl::StatusOr<QuantType> ParseQuantizeTarget(const std::string& name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  for (QuantType t : {QuantType::kQ8_0, QuantType::kQ4_0, QuantType::kQ4_K, QuantType::kQ6_K}) {
    if (quant::QuantTypeName(t) == upper) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("quantize type must be one of q8_0, q4_0, q4_k, q6_k, got \"", name, "\""));
}

absl::StatusOr<ModelQuantizeReport> QuantizeModel(const std::string& input_path,
                                                  const std::string& output_path,
                                                  const ModelQuantizeOptions& options,
                                                  const QuantizeProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  GB_RETURN_IF_ERROR(CheckOptions(options));
  GB_ASSIGN_OR_RETURN(GgufReader input, GgufReader::Open(input_path));
  std::vector<TensorPlan> plans;
  std::vector<gguf::GgufTensorSpec> specs;
  for (const GgufTensorInfo& tensor : input.tensors()) {
    GB_ASSIGN_OR_RETURN(TensorPlan plan, PlanTensor(tensor, options));
    specs.push_back({tensor.name, plan.output_type, tensor.shape});
    plans.push_back(std::move(plan));
  }
  GB_ASSIGN_OR_RETURN(GgufMetadata metadata, OutputMetadata(input.metadata(), options.target));
  GB_ASSIGN_OR_RETURN(gguf::GgufWriter output,
                      gguf::GgufWriter::Create(output_path, metadata, specs));

  ModelQuantizeReport report;
  report.input_file_bytes = input.file_size();
  ThreadPool pool(std::max(1, options.threads));
  quant::QuantErrorAccumulator model_error;
  uint64_t bytes_done = 0, bytes_total = 0;
  for (const GgufTensorInfo& tensor : input.tensors()) bytes_total += tensor.byte_size;
  for (size_t i = 0; i < input.tensors().size(); ++i) {
    const GgufTensorInfo& tensor = input.tensors()[i];
    GB_ASSIGN_OR_RETURN(TensorQuantizeReport t, WriteTensor(tensor, input.TensorBytes(tensor),
                                                            plans[i], pool, output, model_error));
    if (t.output_type != t.input_type) ++report.quantized_tensors;
    bytes_done += tensor.byte_size;
    if (progress) {
      progress(static_cast<double>(bytes_done) / std::max<uint64_t>(1, bytes_total), t.name);
    }
    report.tensors.push_back(std::move(t));
  }
  GB_RETURN_IF_ERROR(output.Finish());
  report.output_file_bytes = output.file_size();
  report.error = model_error.Report();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace gridbench::kernels::model_quant
