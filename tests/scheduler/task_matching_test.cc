#include "coordinator/task_matching.h"

#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

gridbench::v1::Worker CpuWorker() {
  gridbench::v1::Worker w;
  auto* hw = w.mutable_hardware();
  hw->add_backends("blas");
  hw->add_backends("quant");
  hw->add_isa_features("avx2");
  hw->set_memory_bytes(16ull << 30);
  auto* lavapipe = hw->add_vulkan_devices();
  lavapipe->set_name("llvmpipe");
  lavapipe->set_software(true);
  (*w.mutable_labels())["rack"] = "a1";
  return w;
}

TEST(TaskMatchingTest, EmptyRequirementsMatchAnyWorker) {
  EXPECT_EQ(UnmetRequirement({}, CpuWorker()), "");
}

TEST(TaskMatchingTest, EachRequirementNamesWhatIsMissing) {
  gridbench::v1::Requirements req;
  req.set_backend("vulkan");
  EXPECT_EQ(UnmetRequirement(req, CpuWorker()), "needs vulkan");

  req.Clear();
  req.set_device_type(gridbench::v1::DEVICE_TYPE_GPU);
  EXPECT_NE(UnmetRequirement(req, CpuWorker()).find("GPU"), std::string::npos)
      << "a software Vulkan device must not count as a GPU";

  req.Clear();
  req.set_min_memory_bytes(32ull << 30);
  EXPECT_NE(UnmetRequirement(req, CpuWorker()).find("memory"), std::string::npos);

  req.Clear();
  req.add_isa_features("avx512f");
  EXPECT_EQ(UnmetRequirement(req, CpuWorker()), "needs avx512f");

  req.Clear();
  (*req.mutable_labels())["rack"] = "b2";
  EXPECT_EQ(UnmetRequirement(req, CpuWorker()), "needs label rack=b2");
}

TEST(TaskMatchingTest, MetRequirementsMatch) {
  gridbench::v1::Requirements req;
  req.set_backend("blas");
  req.set_device_type(gridbench::v1::DEVICE_TYPE_CPU);
  req.add_isa_features("avx2");
  (*req.mutable_labels())["rack"] = "a1";
  EXPECT_EQ(UnmetRequirement(req, CpuWorker()), "");
}

}  // namespace
}  // namespace gridbench::coordinator
