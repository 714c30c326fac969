// `gridbench model synth` and `gridbench model info` through RunCli, on real
// files in a temporary directory.
#include <unistd.h>

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

}  // namespace
}  // namespace gridbench::cli
