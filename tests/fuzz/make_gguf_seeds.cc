// Writes the GGUF fuzzing seed corpus: small valid files covering every value
// type, every tensor type, nested arrays, a non-default alignment and a tiny
// synthetic llama model.
//   gguf_make_seeds tests/fuzz/gguf_corpus
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kernels/gguf/gguf_writer.h"
#include "kernels/model/synth_model.h"

namespace gridbench::kernels::gguf {
namespace {

using quant::QuantType;

absl::Status WriteSeed(const std::string& path, const GgufMetadata& metadata,
                       const std::vector<GgufTensorSpec>& tensors) {
  absl::StatusOr<GgufWriter> writer = GgufWriter::Create(path, metadata, tensors);
  if (!writer.ok()) return writer.status();
  uint8_t next = 1;
  for (const GgufTensorInfo& t : writer->tensors()) {
    std::vector<uint8_t> bytes(t.byte_size);
    for (uint8_t& b : bytes) b = next++;
    if (absl::Status s = writer->Append(bytes); !s.ok()) return s;
  }
  return writer->Finish();
}

GgufMetadata EveryValueType() {
  GgufMetadata m;
  auto add = [&m](const char* key, GgufValue::Storage v) { (void)m.Add(key, GgufValue{v}); };
  add("general.architecture", std::string("llama"));
  add("u8", uint8_t{1});
  add("i8", int8_t{-1});
  add("u16", uint16_t{2});
  add("i16", int16_t{-2});
  add("u32", uint32_t{3});
  add("i32", int32_t{-3});
  add("f32", 0.5f);
  add("bool", true);
  add("str", std::string("text"));
  add("u64", uint64_t{4});
  add("i64", int64_t{-4});
  add("f64", 0.25);
  add("arr.str", GgufArray{std::vector<std::string>{"a", "bc"}});
  add("arr.f32", GgufArray{std::vector<float>{1, 2}});
  add("arr.bool", GgufArray{std::vector<bool>{true, false}});
  add("arr.nested", GgufArray{std::vector<GgufArray>{GgufArray{std::vector<std::string>{"x"}},
                                                     GgufArray{std::vector<int32_t>{7}}}});
  return m;
}

absl::Status WriteAll(const std::string& dir) {
  GgufMetadata none;
  if (auto s = WriteSeed(dir + "/empty.gguf", none, {}); !s.ok()) return s;
  if (auto s = WriteSeed(dir + "/values.gguf", EveryValueType(), {}); !s.ok()) return s;
  if (auto s = WriteSeed(dir + "/small_types.gguf", none,
                         {{"f32", QuantType::kF32, {4, 2}},
                          {"f16", QuantType::kF16, {8}},
                          {"q4_0", QuantType::kQ4_0, {32}},
                          {"q8_0", QuantType::kQ8_0, {32, 1, 1}}});
      !s.ok()) {
    return s;
  }
  GgufMetadata aligned;
  (void)aligned.Add("general.alignment", GgufValue{uint32_t{64}});
  if (auto s = WriteSeed(dir + "/k_quants.gguf", aligned,
                         {{"q4_k", QuantType::kQ4_K, {256}}, {"q6_k", QuantType::kQ6_K, {256}}});
      !s.ok()) {
    return s;
  }
  if (auto s = WriteSeed(dir + "/q8_k.gguf", none, {{"q8_k", QuantType::kQ8_K, {256, 1}}});
      !s.ok()) {
    return s;
  }
  model::LlamaSpec llama;
  llama.dim = 2;
  llama.layers = 1;
  llama.heads = 1;
  llama.kv_heads = 1;
  llama.ff = 2;
  llama.vocab = model::kMinLlamaVocab;
  llama.seed = 1;
  llama.type = QuantType::kF16;
  return model::WriteSyntheticLlama(llama, dir + "/llama_tiny.gguf");
}

}  // namespace
}  // namespace gridbench::kernels::gguf

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const absl::Status status = gridbench::kernels::gguf::WriteAll(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
