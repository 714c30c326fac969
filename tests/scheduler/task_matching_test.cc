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
  (*w.mutable_labels())["rack"] = "a1";
  return w;
}

// CpuWorker with lavapipe: the "vulkan" backend on a software device.
gridbench::v1::Worker LavapipeWorker() {
  gridbench::v1::Worker w = CpuWorker();
  w.mutable_hardware()->add_backends("vulkan");
  auto* lavapipe = w.mutable_hardware()->add_vulkan_devices();
  lavapipe->set_name("llvmpipe (LLVM 15.0.6, 256 bits)");
  lavapipe->set_software(true);
  return w;
}

gridbench::v1::TaskSpec Task(const char* kind, const char* backend = "") {
  gridbench::v1::TaskSpec task;
  task.set_kind(kind);
  task.mutable_requirements()->set_backend(backend);
  return task;
}

TEST(TaskMatchingTest, EmptyRequirementsMatchAnyWorker) {
  EXPECT_EQ(UnmetRequirement(Task("gemm"), CpuWorker()), "");
  EXPECT_EQ(UnmetRequirement(Task("peak"), CpuWorker()), "");
}

TEST(TaskMatchingTest, EachRequirementNamesWhatIsMissing) {
  EXPECT_EQ(UnmetRequirement(Task("gemm", "vulkan"), CpuWorker()), "needs vulkan");

  gridbench::v1::TaskSpec task = Task("gemm");
  task.mutable_requirements()->set_device_type(gridbench::v1::DEVICE_TYPE_GPU);
  EXPECT_NE(UnmetRequirement(task, LavapipeWorker()).find("GPU"), std::string::npos)
      << "a software Vulkan device must not count as a GPU";

  task = Task("gemm");
  task.mutable_requirements()->set_min_memory_bytes(32ull << 30);
  EXPECT_NE(UnmetRequirement(task, CpuWorker()).find("memory"), std::string::npos);

  task = Task("gemm");
  task.mutable_requirements()->add_isa_features("avx512f");
  EXPECT_EQ(UnmetRequirement(task, CpuWorker()), "needs avx512f");

  task = Task("gemm");
  (*task.mutable_requirements()->mutable_labels())["rack"] = "b2";
  EXPECT_EQ(UnmetRequirement(task, CpuWorker()), "needs label rack=b2");
}

TEST(TaskMatchingTest, AnEmptyBackendMeansTheKindsDefault) {
  gridbench::v1::Worker vulkan_only;
  vulkan_only.mutable_hardware()->add_backends("vulkan");
  vulkan_only.mutable_hardware()->add_vulkan_devices()->set_name("GPU");
  EXPECT_EQ(UnmetRequirement(Task("gemm"), vulkan_only), "needs blas");
  EXPECT_EQ(UnmetRequirement(Task("gemv"), vulkan_only), "needs quant");
  EXPECT_EQ(UnmetRequirement(Task("gemv", "vulkan"), vulkan_only), "");
}

TEST(TaskMatchingTest, VulkanNeedsADeviceAndTheOneNamed) {
  gridbench::v1::Worker claims_vulkan = CpuWorker();
  claims_vulkan.mutable_hardware()->add_backends("vulkan");
  EXPECT_EQ(UnmetRequirement(Task("gemm", "vulkan"), claims_vulkan), "needs a Vulkan device");
  EXPECT_EQ(UnmetRequirement(Task("gemm", "vulkan"), LavapipeWorker()), "");

  gridbench::v1::TaskSpec named = Task("gemv", "vulkan");
  auto& params = *named.mutable_params()->mutable_fields();
  params["device"].set_string_value("llvmpipe");
  EXPECT_EQ(UnmetRequirement(named, LavapipeWorker()), "");
  params["device"].set_string_value("H100");
  EXPECT_EQ(UnmetRequirement(named, LavapipeWorker()), "needs a Vulkan device named like \"H100\"");
  params["device"].set_number_value(0);
  EXPECT_EQ(UnmetRequirement(named, LavapipeWorker()), "");
  params["device"].set_number_value(1);
  EXPECT_EQ(UnmetRequirement(named, LavapipeWorker()), "needs Vulkan device 1");
}

TEST(TaskMatchingTest, MetRequirementsMatch) {
  gridbench::v1::TaskSpec task = Task("gemm", "blas");
  task.mutable_requirements()->set_device_type(gridbench::v1::DEVICE_TYPE_CPU);
  task.mutable_requirements()->add_isa_features("avx2");
  (*task.mutable_requirements()->mutable_labels())["rack"] = "a1";
  EXPECT_EQ(UnmetRequirement(task, CpuWorker()), "");
  EXPECT_EQ(UnmetRequirement(Task("gemm", "quant"), CpuWorker()), "");
}

}  // namespace
}  // namespace gridbench::coordinator
