// model synth, model info, model generate: synthetic GGUF models, a look
// inside any GGUF file, and a greedy continuation to compare with llama.cpp.
// None talks to a coordinator.
#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <span>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/format.h"
#include "common/status_macros.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/llama/llama_cpu.h"
#include "kernels/llama/llama_reference.h"
#include "kernels/model/synth_model.h"

namespace gridbench::cli {
namespace {

using kernels::gguf::GgufReader;
using kernels::gguf::GgufTensorInfo;
using kernels::model::LlamaSpec;

// The value of integer flag `name`, `fallback` when it is absent and
// `required` is false.
absl::StatusOr<int64_t> IntFlag(const CommandContext& ctx, const std::string& name, bool required,
                                int64_t fallback = 0) {
  if (!ctx.args.Has(name)) {
    if (required) return UsageError(absl::StrCat("--", name, " is required"));
    return fallback;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(ctx.args.Value(name), &value) || value < 0) {
    return UsageError(absl::StrCat("--", name, " must be a non-negative integer, got '",
                                   ctx.args.Value(name), "'"));
  }
  return value;
}

absl::StatusOr<int> SizeFlag(const CommandContext& ctx, const std::string& name,
                             bool required = true, int fallback = 0) {
  GB_ASSIGN_OR_RETURN(const int64_t value, IntFlag(ctx, name, required, fallback));
  if (value > std::numeric_limits<int>::max()) {
    return UsageError(absl::StrCat("--", name, " ", value, " is too large"));
  }
  return static_cast<int>(value);
}

absl::StatusOr<ExitCode> Synth(CommandContext& ctx) {
  if (!ctx.args.Has("output")) return UsageError("-o/--output FILE is required");
  LlamaSpec spec;
  GB_ASSIGN_OR_RETURN(spec.dim, SizeFlag(ctx, "dim"));
  GB_ASSIGN_OR_RETURN(spec.layers, SizeFlag(ctx, "layers"));
  GB_ASSIGN_OR_RETURN(spec.heads, SizeFlag(ctx, "heads"));
  GB_ASSIGN_OR_RETURN(spec.ff, SizeFlag(ctx, "ff"));
  GB_ASSIGN_OR_RETURN(spec.vocab, SizeFlag(ctx, "vocab"));
  GB_ASSIGN_OR_RETURN(spec.kv_heads, SizeFlag(ctx, "kv-heads", false, spec.heads));
  GB_ASSIGN_OR_RETURN(spec.context, SizeFlag(ctx, "context", false, spec.context));
  GB_ASSIGN_OR_RETURN(const int64_t seed, IntFlag(ctx, "seed", false, 0));
  spec.seed = static_cast<uint64_t>(seed);
  spec.type = ctx.args.Value("type", "f32") == "f16" ? kernels::quant::QuantType::kF16
                                                     : kernels::quant::QuantType::kF32;
  const std::string path = ctx.args.Value("output");
  GB_RETURN_IF_ERROR(kernels::model::WriteSyntheticLlama(spec, path));
  GB_ASSIGN_OR_RETURN(GgufReader written, GgufReader::Open(path));
  ctx.out << "wrote " << path << ": llama, " << written.tensors().size() << " tensors, "
          << written.file_size() << " bytes\n";
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> Info(CommandContext& ctx) {
  const std::string& path = ctx.args.positionals[0];
  GB_ASSIGN_OR_RETURN(GgufReader file, GgufReader::Open(path));
  ctx.out << path << ": GGUF v3, " << file.file_size() << " bytes, alignment " << file.alignment()
          << ", data at offset " << file.data_offset() << "\n\n";
  Table metadata({"KEY", "TYPE", "VALUE"});
  for (const auto& [key, value] : file.metadata().entries()) {
    metadata.AddRow(
        {key, kernels::gguf::GgufValueTypeName(value.type()), kernels::gguf::GgufValueText(value)});
  }
  metadata.Print(ctx.out);
  uint64_t total = 0;
  Table tensors({"TENSOR", "TYPE", "SHAPE", "BYTES", "OFFSET"});
  for (const GgufTensorInfo& t : file.tensors()) {
    tensors.AddRow({t.name, std::string(kernels::quant::QuantTypeName(t.type)),
                    kernels::gguf::ShapeString(t.shape), absl::StrCat(t.byte_size),
                    absl::StrCat(t.offset)});
    total += t.byte_size;
  }
  ctx.out << "\n";
  tensors.Print(ctx.out);
  ctx.out << "\n" << file.tensors().size() << " tensors, " << total << " bytes of tensor data\n";
  return ExitCode::kOk;
}

// "1,2,3" as token ids.
absl::StatusOr<std::vector<int32_t>> TokenList(const std::string& text) {
  std::vector<int32_t> tokens;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int32_t token = 0;
    if (!absl::SimpleAtoi(part, &token)) {
      return UsageError(absl::StrCat("--tokens: '", std::string(part), "' is not a token id"));
    }
    tokens.push_back(token);
  }
  return tokens;
}

// Greedy decoding: what llama.cpp prints at temperature 0 for the same
// prompt ids, so the two can be compared on the same file.
absl::StatusOr<ExitCode> Generate(CommandContext& ctx) {
  namespace llama = kernels::llama;
  if (!ctx.args.Has("tokens")) return UsageError("--tokens ID,ID,... is required");
  GB_ASSIGN_OR_RETURN(const std::vector<int32_t> prompt, TokenList(ctx.args.Value("tokens")));
  GB_ASSIGN_OR_RETURN(const int count, SizeFlag(ctx, "count", false, 16));
  GB_ASSIGN_OR_RETURN(const int threads, SizeFlag(ctx, "threads", false, 1));
  GB_ASSIGN_OR_RETURN(const llama::LlamaModel model,
                      llama::LlamaModel::Open(ctx.args.positionals[0]));
  const int context = static_cast<int>(prompt.size()) + count;
  kernels::ThreadPool pool(std::max(threads, 1));
  std::unique_ptr<llama::LlamaSession> session;
  if (ctx.args.Value("backend", "cpu") == "reference") {
    GB_ASSIGN_OR_RETURN(llama::LlamaReferenceSession s,
                        llama::LlamaReferenceSession::Create(model, context));
    session = std::make_unique<llama::LlamaReferenceSession>(std::move(s));
  } else {
    GB_ASSIGN_OR_RETURN(llama::LlamaCpuSession s,
                        llama::LlamaCpuSession::Create(model, &pool, context));
    session = std::make_unique<llama::LlamaCpuSession>(std::move(s));
  }
  GB_ASSIGN_OR_RETURN(std::vector<float> logits, session->Eval(prompt, 0));
  std::vector<std::string> tokens, gaps;
  for (int i = 0; i < count; ++i) {
    std::vector<float> top(2);
    std::partial_sort_copy(logits.begin(), logits.end(), top.begin(), top.end(),
                           std::greater<float>());
    const int32_t next = llama::GreedyToken(logits);
    tokens.push_back(absl::StrCat(next));
    gaps.push_back(absl::StrFormat("%.4f", top[0] - top[1]));
    if (i + 1 == count) break;
    const int pos = static_cast<int>(prompt.size()) + i;
    GB_ASSIGN_OR_RETURN(logits, session->Eval(std::span<const int32_t>(&next, 1), pos));
  }
  ctx.out << absl::StrJoin(tokens, ",") << "\n";
  ctx.out << "# top-1 minus top-2 logit: " << absl::StrJoin(gaps, " ") << "\n";
  return ExitCode::kOk;
}

}  // namespace

std::vector<Command> ModelCommands() {
  return {
      {"model synth",
       "",
       "Write a llama-architecture GGUF model with seeded random weights",
       "Needs no coordinator. The same flags give the same bytes on every machine.\n"
       "Matrices are F32 or F16, norms F32; the vocabulary is <unk>, <s>, </s>, 256 byte\n"
       "tokens and filler tokens up to --vocab (at least 259).",
       {{"arch", "ARCH", "Architecture (only llama)", {"llama"}},
        {"dim", "N", "Embedding length (required)", {}},
        {"layers", "N", "Transformer blocks (required)", {}},
        {"heads", "N", "Attention heads; dim / heads must be even (required)", {}},
        {"kv-heads", "N", "Key/value heads, dividing --heads (default: --heads)", {}},
        {"ff", "N", "Feed-forward length (required)", {}},
        {"vocab", "N", "Vocabulary size, at least 259 (required)", {}},
        {"seed", "N", "Seed of the weights (default 0)", {}},
        {"type", "TYPE", "Matrix type: f32 or f16 (default f32)", {"f32", "f16"}},
        {"context", "N", "Context length recorded in the metadata (default 2048)", {}},
        {"output", "FILE", "Where to write the model (required)", {}, 'o'}},
       0,
       0,
       Synth},
      {"model generate",
       "FILE",
       "Greedily continue a prompt of token ids with a llama GGUF model",
       "Runs FILE's forward pass here (no coordinator) and prints the --count token\n"
       "ids that greedy decoding picks after --tokens, comma-separated, then how far\n"
       "each pick's logit was ahead of the runner-up. llama.cpp at temperature 0 on\n"
       "the same file and ids should print the same ids, up to near ties.",
       {{"tokens", "ID,ID,...", "Prompt token ids (required)", {}},
        {"count", "N", "Tokens to generate (default 16)", {}},
        {"backend", "NAME", "cpu (optimised, default) or reference (scalar)", {"cpu", "reference"}},
        {"threads", "N", "cpu: threads (default 1)", {}}},
       1,
       1,
       Generate},
      {"model info",
       "FILE",
       "Print a GGUF file's metadata and tensor table",
       "Validates the whole file first; a corrupt file is refused with the field and\n"
       "byte offset that are wrong. Needs no coordinator.",
       {},
       1,
       1,
       Info},
  };
}

}  // namespace gridbench::cli
