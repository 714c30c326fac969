#include "kernels/vulkan/context.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/vk_status.h"

namespace gridbench::kernels::vulkan {
namespace {

// Lower is better; a CPU device is used only when nothing else is there.
int TypeRank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 3;
    default:
      return 4;
  }
}

// The compute queue family to use, preferring one with timestamps.
std::optional<uint32_t> ComputeQueueFamily(VkPhysicalDevice device) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  std::optional<uint32_t> any;
  for (uint32_t i = 0; i < count; ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) == 0) continue;
    if (families[i].timestampValidBits > 0) return i;
    if (!any) any = i;
  }
  return any;
}

absl::Status CheckUsable(VkPhysicalDevice device, uint32_t index) {
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(device, &props);
  if (props.apiVersion < VK_API_VERSION_1_1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Vulkan device ", index, " (", props.deviceName, ") is older than Vulkan 1.1"));
  }
  if (!ComputeQueueFamily(device)) {
    return absl::FailedPreconditionError(
        absl::StrCat("Vulkan device ", index, " (", props.deviceName, ") has no compute queue"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ChooseDevice(const std::vector<VkPhysicalDevice>& devices,
                                      std::optional<uint32_t> requested) {
  if (devices.empty()) return absl::NotFoundError("no Vulkan device found");
  if (requested) {
    if (*requested >= devices.size()) {
      return absl::NotFoundError(absl::StrCat("Vulkan device index ", *requested,
                                              " is out of range: there are ", devices.size(),
                                              " device(s)"));
    }
    GB_RETURN_IF_ERROR(CheckUsable(devices[*requested], *requested));
    return *requested;
  }
  std::optional<uint32_t> best;
  int best_rank = 0;
  absl::Status last_error;
  for (uint32_t i = 0; i < devices.size(); ++i) {
    if (absl::Status usable = CheckUsable(devices[i], i); !usable.ok()) {
      last_error = usable;
      continue;
    }
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(devices[i], &props);
    if (!best || TypeRank(props.deviceType) < best_rank) {
      best = i;
      best_rank = TypeRank(props.deviceType);
    }
  }
  if (!best) return last_error;
  return *best;
}

// The cache file's bytes if it exists and its header names this device;
// otherwise empty, so the driver starts a fresh cache. Checked here because
// some drivers do not validate foreign data themselves.
std::vector<char> ReadMatchingCache(const std::string& path,
                                    const VkPhysicalDeviceProperties& props) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  VkPipelineCacheHeaderVersionOne header;
  if (data.size() < sizeof(header)) return {};
  std::memcpy(&header, data.data(), sizeof(header));
  if (header.headerSize < sizeof(header) ||
      header.headerVersion != VK_PIPELINE_CACHE_HEADER_VERSION_ONE ||
      header.vendorID != props.vendorID || header.deviceID != props.deviceID ||
      std::memcmp(header.pipelineCacheUUID, props.pipelineCacheUUID, VK_UUID_SIZE) != 0) {
    return {};
  }
  return data;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Context>> Context::Create(const ContextOptions& options) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->options_ = options;
  GB_ASSIGN_OR_RETURN(ctx->instance_, Instance::Create(options.validation));
  GB_ASSIGN_OR_RETURN(std::vector<VkPhysicalDevice> devices, ctx->instance_->PhysicalDevices());
  GB_ASSIGN_OR_RETURN(ctx->device_index_, ChooseDevice(devices, options.device_index));
  ctx->physical_device_ = devices[ctx->device_index_];
  ctx->info_ = DescribeDevice(ctx->physical_device_);
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(ctx->physical_device_, &props);
  ctx->limits_ = props.limits;
  vkGetPhysicalDeviceMemoryProperties(ctx->physical_device_, &ctx->memory_);
  GB_RETURN_IF_ERROR(ctx->OpenDevice(*ComputeQueueFamily(ctx->physical_device_)));
  GB_RETURN_IF_ERROR(ctx->CreatePipelineCache());
  return ctx;
}

absl::Status Context::OpenDevice(uint32_t queue_family) {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  GB_RETURN_IF_ERROR(VkStatus(vkCreateDevice(physical_device_, &device_info, nullptr, &device_),
                              "vkCreateDevice"));
  vkGetDeviceQueue(device_, queue_family, 0, &queue_);

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = queue_family;
  GB_RETURN_IF_ERROR(VkStatus(vkCreateCommandPool(device_, &pool_info, nullptr, &command_pool_),
                              "vkCreateCommandPool"));
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = command_pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  GB_RETURN_IF_ERROR(VkStatus(vkAllocateCommandBuffers(device_, &alloc, &command_buffer_),
                              "vkAllocateCommandBuffers"));
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  GB_RETURN_IF_ERROR(
      VkStatus(vkCreateFence(device_, &fence_info, nullptr, &fence_), "vkCreateFence"));

  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &count, families.data());
  const uint32_t valid_bits = families[queue_family].timestampValidBits;
  if (valid_bits == 0 || limits_.timestampPeriod <= 0) return absl::OkStatus();
  timestamp_mask_ = valid_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << valid_bits) - 1;
  timestamp_period_ns_ = limits_.timestampPeriod;
  VkQueryPoolCreateInfo query_info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  query_info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  query_info.queryCount = 2;
  return VkStatus(vkCreateQueryPool(device_, &query_info, nullptr, &query_pool_),
                  "vkCreateQueryPool");
}

absl::Status Context::CreatePipelineCache() {
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(physical_device_, &props);
  std::vector<char> initial;
  if (!options_.pipeline_cache_path.empty()) {
    initial = ReadMatchingCache(options_.pipeline_cache_path, props);
  }
  VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  info.initialDataSize = initial.size();
  info.pInitialData = initial.empty() ? nullptr : initial.data();
  return VkStatus(vkCreatePipelineCache(device_, &info, nullptr, &pipeline_cache_),
                  "vkCreatePipelineCache");
}

Context::~Context() {
  if (device_ != VK_NULL_HANDLE) {
    // A submit that timed out may still be running; nothing may be destroyed
    // under it. The result is ignored: there is nothing left to do on failure.
    (void)vkDeviceWaitIdle(device_);
    vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
    vkDestroyQueryPool(device_, query_pool_, nullptr);
    vkDestroyFence(device_, fence_, nullptr);
    vkDestroyCommandPool(device_, command_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
}

absl::StatusOr<SubmitTiming> Context::Submit(absl::FunctionRef<void(VkCommandBuffer)> record) {
  GB_RETURN_IF_ERROR(VkStatus(vkResetCommandBuffer(command_buffer_, 0), "vkResetCommandBuffer"));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  GB_RETURN_IF_ERROR(
      VkStatus(vkBeginCommandBuffer(command_buffer_, &begin), "vkBeginCommandBuffer"));
  if (query_pool_ != VK_NULL_HANDLE) {
    vkCmdResetQueryPool(command_buffer_, query_pool_, 0, 2);
    vkCmdWriteTimestamp(command_buffer_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, query_pool_, 0);
  }
  record(command_buffer_);
  if (query_pool_ != VK_NULL_HANDLE) {
    vkCmdWriteTimestamp(command_buffer_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pool_, 1);
  }
  GB_RETURN_IF_ERROR(VkStatus(vkEndCommandBuffer(command_buffer_), "vkEndCommandBuffer"));
  GB_RETURN_IF_ERROR(VkStatus(vkResetFences(device_, 1, &fence_), "vkResetFences"));

  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer_;
  const auto start = std::chrono::steady_clock::now();
  GB_RETURN_IF_ERROR(VkStatus(vkQueueSubmit(queue_, 1, &submit, fence_), "vkQueueSubmit"));
  const VkResult waited = vkWaitForFences(device_, 1, &fence_, VK_TRUE,
                                          absl::ToInt64Nanoseconds(options_.submit_timeout));
  if (waited == VK_TIMEOUT) {
    return absl::DeadlineExceededError(absl::StrCat("Vulkan submit did not finish within ",
                                                    absl::FormatDuration(options_.submit_timeout)));
  }
  GB_RETURN_IF_ERROR(VkStatus(waited, "vkWaitForFences"));
  SubmitTiming timing;
  timing.host_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  timing.device_seconds = timing.host_seconds;
  if (query_pool_ == VK_NULL_HANDLE) return timing;

  uint64_t stamps[2];
  GB_RETURN_IF_ERROR(VkStatus(
      vkGetQueryPoolResults(device_, query_pool_, 0, 2, sizeof(stamps), stamps, sizeof(uint64_t),
                            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
      "vkGetQueryPoolResults"));
  // Masking handles a counter narrower than 64 bits that wrapped in between.
  const uint64_t ticks = (stamps[1] - stamps[0]) & timestamp_mask_;
  timing.device_seconds = static_cast<double>(ticks) * timestamp_period_ns_ * 1e-9;
  timing.device_timed = true;
  return timing;
}

absl::StatusOr<uint32_t> Context::FindMemoryType(uint32_t type_bits, VkMemoryPropertyFlags required,
                                                 VkMemoryPropertyFlags preferred) const {
  std::optional<uint32_t> fallback;
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
    if ((type_bits & (1u << i)) == 0) continue;
    const VkMemoryPropertyFlags flags = memory_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (!fallback) fallback = i;
  }
  if (fallback) return *fallback;
  return absl::NotFoundError(absl::StrCat("no Vulkan memory type with property flags 0x",
                                          absl::Hex(required), " on ", info_.name));
}

absl::Status Context::SavePipelineCache() const {
  if (options_.pipeline_cache_path.empty()) {
    return absl::FailedPreconditionError("no pipeline cache path was configured");
  }
  size_t size = 0;
  GB_RETURN_IF_ERROR(VkStatus(vkGetPipelineCacheData(device_, pipeline_cache_, &size, nullptr),
                              "vkGetPipelineCacheData"));
  std::vector<char> data(size);
  GB_RETURN_IF_ERROR(VkStatus(vkGetPipelineCacheData(device_, pipeline_cache_, &size, data.data()),
                              "vkGetPipelineCacheData"));
  const std::string& path = options_.pipeline_cache_path;
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(size));
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", temp));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", temp, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void RecordComputeBarrier(VkCommandBuffer cmd) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                          VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  const VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace gridbench::kernels::vulkan
