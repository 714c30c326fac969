#include "kernels/vulkan/context.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/gemm.h"
#include "tests/kernels_vulkan/validated_context.h"

namespace gridbench::kernels::vulkan {
namespace {

using BufferTest = ValidatedContextTest;

TEST(ContextCreateTest, OutOfRangeDeviceIndexIsNotFound) {
  ContextOptions options;
  options.device_index = 1000;
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(options);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kNotFound) << ctx.status();
  EXPECT_NE(ctx.status().message().find("1000"), std::string::npos) << ctx.status();
}

TEST(ContextCreateTest, ExplicitIndexOpensThatDevice) {
  absl::StatusOr<std::vector<DeviceInfo>> devices = EnumerateDevices();
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_FALSE(devices->empty());
  ContextOptions options;
  options.device_index = static_cast<uint32_t>(devices->size() - 1);
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(options);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ((*ctx)->device_index(), devices->size() - 1);
  EXPECT_EQ((*ctx)->info().name, devices->back().name);
}

TEST(ContextCreateTest, DefaultPrefersAGpuOverSoftware) {
  absl::StatusOr<std::vector<DeviceInfo>> devices = EnumerateDevices();
  ASSERT_TRUE(devices.ok()) << devices.status();
  bool any_gpu = false;
  for (const DeviceInfo& d : *devices) any_gpu |= d.type == "discrete" || d.type == "integrated";
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(ContextOptions{});
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ((*ctx)->info().software, !any_gpu) << (*ctx)->info().name;
}

TEST_F(BufferTest, DeviceLocalRoundTrip) {
  std::vector<uint32_t> data(1000);
  for (uint32_t i = 0; i < data.size(); ++i) data[i] = i * 2654435761u;
  absl::StatusOr<Buffer> buffer = Buffer::Create(ctx(), 4000, MemoryKind::kDeviceLocal);
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  ASSERT_TRUE(Upload(ctx(), *buffer, data.data(), 4000).ok());
  std::vector<uint32_t> back(1000);
  ASSERT_TRUE(Download(ctx(), *buffer, back.data(), 4000).ok());
  EXPECT_EQ(back, data);
}

TEST_F(BufferTest, HostVisibleIsMappedAndRoundTrips) {
  absl::StatusOr<Buffer> buffer = Buffer::Create(ctx(), 64, MemoryKind::kHostVisible);
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  ASSERT_NE(buffer->mapped(), nullptr);
  const char text[] = "gridbench host-visible buffer";
  ASSERT_TRUE(Upload(ctx(), *buffer, text, sizeof(text)).ok());
  char back[sizeof(text)] = {};
  ASSERT_TRUE(Download(ctx(), *buffer, back, sizeof(text)).ok());
  EXPECT_STREQ(back, text);
}

TEST_F(BufferTest, BadSizesAreInvalidArgument) {
  EXPECT_EQ(Buffer::Create(ctx(), 0, MemoryKind::kDeviceLocal).status().code(),
            absl::StatusCode::kInvalidArgument);
  const uint64_t too_big = uint64_t{ctx().limits().maxStorageBufferRange} + 1;
  EXPECT_EQ(Buffer::Create(ctx(), too_big, MemoryKind::kDeviceLocal).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Buffer> buffer = Buffer::Create(ctx(), 16, MemoryKind::kDeviceLocal);
  ASSERT_TRUE(buffer.ok());
  char data[32] = {};
  EXPECT_EQ(Upload(ctx(), *buffer, data, 32).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Download(ctx(), *buffer, data, 32).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BufferTest, SubmitMeasuresPositiveTime) {
  absl::StatusOr<Buffer> buffer = Buffer::Create(ctx(), 1 << 20, MemoryKind::kDeviceLocal);
  ASSERT_TRUE(buffer.ok());
  absl::StatusOr<SubmitTiming> timing = ctx().Submit(
      [&](VkCommandBuffer cmd) { vkCmdFillBuffer(cmd, buffer->handle(), 0, VK_WHOLE_SIZE, 7); });
  ASSERT_TRUE(timing.ok()) << timing.status();
  EXPECT_GT(timing->host_seconds, 0);
  EXPECT_GE(timing->device_seconds, 0);
  EXPECT_EQ(timing->device_timed, ctx().timestamps_supported());
}

TEST(ValidationTest, MessengerCountsMisuse) {
  ContextOptions options;
  options.validation = true;
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(options);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  ASSERT_EQ((*ctx)->validation_error_count(), 0u);
  // Usage 0 is invalid (VUID-VkBufferCreateInfo-usage-requiredbitmask) but
  // harmless to the driver: it proves the zero-error checks can fail.
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = 16;
  VkBuffer buffer = VK_NULL_HANDLE;
  if (vkCreateBuffer((*ctx)->device(), &info, nullptr, &buffer) == VK_SUCCESS) {
    vkDestroyBuffer((*ctx)->device(), buffer, nullptr);
  }
  EXPECT_GT((*ctx)->validation_error_count(), 0u);
  ASSERT_FALSE((*ctx)->validation_messages().empty());
}

class PipelineCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("gridbench_vk_cache_" + std::to_string(::getpid())))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Opens a context on `path_` and builds one pipeline into its cache.
  std::unique_ptr<Context> OpenAndBuild() {
    ContextOptions options;
    options.validation = true;
    options.pipeline_cache_path = path_;
    absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(options);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    if (!ctx.ok()) return nullptr;
    EXPECT_TRUE(GemmKernel::Create(**ctx, GemmVariant::kNaive, {}).ok());
    return std::move(ctx).value();
  }

  std::string path_;
};

TEST_F(PipelineCacheTest, SavesAndReloads) {
  std::unique_ptr<Context> first = OpenAndBuild();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->SavePipelineCache().ok());
  ASSERT_TRUE(std::filesystem::exists(path_));
  EXPECT_GE(std::filesystem::file_size(path_), sizeof(VkPipelineCacheHeaderVersionOne));
  EXPECT_EQ(first->validation_error_count(), 0u);
  first.reset();
  std::unique_ptr<Context> second = OpenAndBuild();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->validation_error_count(), 0u);
}

TEST_F(PipelineCacheTest, GarbageFileIsIgnored) {
  std::ofstream(path_, std::ios::binary) << "not a pipeline cache at all, just some bytes here";
  std::unique_ptr<Context> ctx = OpenAndBuild();
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->validation_error_count(), 0u);
  EXPECT_TRUE(ctx->SavePipelineCache().ok());
}

TEST(PipelineCacheSaveTest, WithoutPathIsFailedPrecondition) {
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(ContextOptions{});
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ((*ctx)->SavePipelineCache().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
