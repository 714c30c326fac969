// `gridbench model synth`, `model info` and `model generate` through RunCli, on real
// files in a temporary directory.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridbench::cli {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunGridbench(const std::vector<std::string>& args) {
  CliEnvironment env;
  env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  std::ostringstream out, err;
  const int code = RunCli(args, env, out, err);
  return {code, out.str(), err.str()};
}

class ModelCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("model_commands_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> SynthArgs(const std::string& path) const {
    return {"model",   "synth", "--arch",     "llama", "--dim",    "64",  "--layers", "2",
            "--heads", "4",     "--kv-heads", "2",     "--ff",     "128", "--vocab",  "300",
            "--seed",  "7",     "--type",     "f16",   "--output", path};
  }

  std::filesystem::path dir_;
};

TEST_F(ModelCommandsTest, SynthThenInfo) {
  const std::string path = (dir_ / "model.gguf").string();
  Outcome synth = RunGridbench(SynthArgs(path));
  ASSERT_EQ(synth.code, 0) << synth.err;
  EXPECT_THAT(synth.out, HasSubstr("wrote " + path + ": llama, 21 tensors, "));

  Outcome info = RunGridbench({"model", "info", path});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr(path + ": GGUF v3, "));
  EXPECT_THAT(info.out, HasSubstr("general.architecture"));
  EXPECT_THAT(info.out, HasSubstr("\"llama\""));
  EXPECT_THAT(info.out, HasSubstr("[300 x STRING] \"<unk>\", \"<s>\", \"</s>\", \"<0x00>\""));
  EXPECT_THAT(info.out, HasSubstr("blk.1.ffn_down.weight"));
  EXPECT_THAT(info.out, HasSubstr("[128, 64]"));
  EXPECT_THAT(info.out, HasSubstr("21 tensors, "));
}

TEST_F(ModelCommandsTest, MistakesAreReported) {
  const std::string path = (dir_ / "model.gguf").string();
  std::vector<std::string> args = SynthArgs(path);
  args[4] = "--dimension";
  EXPECT_EQ(RunGridbench(args).code, 2);

  args = SynthArgs(path);
  args[5] = "66";  // --dim not a multiple of --heads.
  Outcome bad_shape = RunGridbench(args);
  EXPECT_EQ(bad_shape.code, 3);
  EXPECT_THAT(bad_shape.err, HasSubstr("dim 66 is not a multiple of heads 4"));

  args = SynthArgs(path);
  args[5] = "lots";
  Outcome not_a_number = RunGridbench(args);
  EXPECT_EQ(not_a_number.code, 2);
  EXPECT_THAT(not_a_number.err, HasSubstr("--dim must be a non-negative integer, got 'lots'"));

  args = SynthArgs(path);
  args.resize(args.size() - 2);
  EXPECT_THAT(RunGridbench(args).err, HasSubstr("--output FILE is required"));
  EXPECT_FALSE(std::filesystem::exists(path));

  std::ofstream(dir_ / "junk.gguf") << "not a model";
  Outcome junk = RunGridbench({"model", "info", (dir_ / "junk.gguf").string()});
  EXPECT_EQ(junk.code, 3);
  EXPECT_THAT(junk.err, HasSubstr("header.magic: expected \"GGUF\""));
  EXPECT_EQ(RunGridbench({"model", "info", (dir_ / "missing.gguf").string()}).code, 5);
}

// The optimised pass and the scalar reference pick the same tokens on an F16
// model (their logits differ by float rounding only); ids llama.cpp would not
// accept are refused.
TEST_F(ModelCommandsTest, GenerateAgreesAcrossBackends) {
  const std::string path = (dir_ / "model.gguf").string();
  ASSERT_EQ(RunGridbench(SynthArgs(path)).code, 0);
  const std::vector<std::string> args = {"model",   "generate", path, "--tokens",
                                         "1,7,299", "--count",  "6",  "--backend"};
  std::vector<std::string> cpu = args, reference = args;
  cpu.push_back("cpu");
  reference.push_back("reference");
  Outcome a = RunGridbench(cpu), b = RunGridbench(reference);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  const std::string ids = a.out.substr(0, a.out.find('\n'));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), ','), 5) << a.out;
  EXPECT_EQ(ids, b.out.substr(0, b.out.find('\n')));
  EXPECT_THAT(a.out, HasSubstr("# top-1 minus top-2 logit: "));

  Outcome out_of_range = RunGridbench({"model", "generate", path, "--tokens", "1,300"});
  EXPECT_EQ(out_of_range.code, 3);
  EXPECT_THAT(out_of_range.err, HasSubstr("300"));
  EXPECT_EQ(RunGridbench({"model", "generate", path, "--tokens", "1,,2"}).code, 2);
}

}  // namespace
}  // namespace gridbench::cli
