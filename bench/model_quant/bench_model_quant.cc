// Quantizes one synthetic llama model (F16, written once into a temporary
// directory) to each target type and reports input MB/s (10^6 bytes of input
// file per second) and the whole-model error as counters.
//
//   build/bin/bench_model_quant [--dim=1024] [--layers=8] [--ff=2816]
//       [--threads=N] [benchmark flags]
#include <filesystem>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "benchmark/benchmark.h"
#include "kernels/model/synth_model.h"
#include "kernels/model_quant/model_quantizer.h"

namespace gridbench::kernels::model_quant {
namespace {

struct BenchModel {
  std::string input;
  std::string output;
};

BenchModel& Model() {
  static BenchModel model;
  return model;
}

void BM_QuantizeModel(benchmark::State& state, quant::QuantType target, int threads) {
  ModelQuantizeOptions options;
  options.target = target;
  options.threads = threads;
  ModelQuantizeReport report;
  for (auto _ : state) {
    absl::StatusOr<ModelQuantizeReport> r = QuantizeModel(Model().input, Model().output, options);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    report = *r;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * report.input_file_bytes));
  state.counters["input_MB_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * report.input_file_bytes) / 1e6,
                         benchmark::Counter::kIsRate);
  state.counters["size_ratio"] =
      static_cast<double>(report.output_file_bytes) / static_cast<double>(report.input_file_bytes);
  state.counters["rel_rmse"] = report.error.relative_rmse;
  state.counters["snr_db"] = report.error.snr_db;
  state.counters["cosine"] = report.error.cosine_similarity;
  state.counters["max_abs"] = report.error.max_abs_error;
  state.counters["threads"] = threads;
}

}  // namespace
}  // namespace gridbench::kernels::model_quant

ABSL_FLAG(int, dim, 1024, "embedding length of the synthetic model");
ABSL_FLAG(int, layers, 8, "transformer blocks");
ABSL_FLAG(int, ff, 2816, "feed-forward length");
ABSL_FLAG(int, threads, 0, "quantizing threads; 0 = every hardware thread");

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  namespace mq = gridbench::kernels::model_quant;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "gridbench_bench_model_quant";
  fs::create_directories(dir);
  mq::Model() = {(dir / "model-f16.gguf").string(), (dir / "model-out.gguf").string()};
  gridbench::kernels::model::LlamaSpec spec;
  spec.dim = absl::GetFlag(FLAGS_dim);
  spec.layers = absl::GetFlag(FLAGS_layers);
  spec.heads = spec.dim / 64;
  spec.kv_heads = std::max(1, spec.heads / 4);
  spec.ff = absl::GetFlag(FLAGS_ff);
  spec.vocab = 32000;
  spec.seed = 1;
  spec.type = gridbench::kernels::quant::QuantType::kF16;
  if (absl::Status s = gridbench::kernels::model::WriteSyntheticLlama(spec, mq::Model().input);
      !s.ok()) {
    fprintf(stderr, "cannot write the model: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  using gridbench::kernels::quant::QuantType;
  for (QuantType t : {QuantType::kQ8_0, QuantType::kQ6_K, QuantType::kQ4_K, QuantType::kQ4_0}) {
    benchmark::RegisterBenchmark(
        ("quantize/" + std::string(gridbench::kernels::quant::QuantTypeName(t))).c_str(),
        [t, threads](benchmark::State& state) { mq::BM_QuantizeModel(state, t, threads); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(3);
  }
  benchmark::RunSpecifiedBenchmarks();
  fs::remove_all(dir);
  return 0;
}
