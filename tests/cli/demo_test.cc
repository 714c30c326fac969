// `gridbench demo`, the README's "run it" command, end to end: the real
// binaries, a synthetic model uploaded and quantized, GEMM on every backend
// the worker has, every signature verified, exit status 0.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridbench::cli {
namespace {

using ::testing::HasSubstr;

TEST(DemoTest, RunsTheWholeDemoAndExitsZero) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "gridbench-demo";
  std::filesystem::remove_all(dir);
  const std::string command =
      std::string(GRIDBENCH_BIN_DIR) + "/gridbench demo --dir " + dir.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  for (const char* row : {"quantize-q8_0", "quantize-q4_0", "gemm/blas", "gemm/quant", "MB/s",
                          "GFLOP/s", "inference-cpu-q8_0", "inference-cpu-q4_0", "tg t/s",
                          "vs reference: top-1", "result signatures verify"}) {
    EXPECT_THAT(output, HasSubstr(row)) << output;
  }
  if (output.find("no Vulkan device") == std::string::npos) {
    EXPECT_THAT(output, HasSubstr("gemm/vulkan")) << output;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "model-f32.gguf"));
}

}  // namespace
}  // namespace gridbench::cli
