#include "kernels/vulkan/instance.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/vk_status.h"

namespace gridbench::kernels::vulkan {
namespace {

constexpr char kValidationLayer[] = "VK_LAYER_KHRONOS_validation";
// Keeps a test's failure output readable when a bug floods the layer.
constexpr size_t kMaxKeptMessages = 8;

absl::Status RequireLayer(const char* name) {
  uint32_t count = 0;
  GB_RETURN_IF_ERROR(VkStatus(vkEnumerateInstanceLayerProperties(&count, nullptr),
                              "vkEnumerateInstanceLayerProperties"));
  std::vector<VkLayerProperties> layers(count);
  GB_RETURN_IF_ERROR(VkStatus(vkEnumerateInstanceLayerProperties(&count, layers.data()),
                              "vkEnumerateInstanceLayerProperties"));
  for (const VkLayerProperties& layer : layers) {
    if (std::strcmp(layer.layerName, name) == 0) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("Vulkan validation requested but layer ", name, " is not installed"));
}

}  // namespace

bool ValidationRequestedByEnv() {
  const char* value = std::getenv("GRIDBENCH_VULKAN_VALIDATION");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

absl::StatusOr<std::unique_ptr<Instance>> Instance::Create(bool validation) {
  uint32_t loader_version = VK_API_VERSION_1_0;
  GB_RETURN_IF_ERROR(
      VkStatus(vkEnumerateInstanceVersion(&loader_version), "vkEnumerateInstanceVersion"));
  if (loader_version < VK_API_VERSION_1_1) {
    return absl::FailedPreconditionError("Vulkan loader is older than 1.1");
  }
  std::unique_ptr<Instance> instance(new Instance());
  instance->api_version_ = std::min<uint32_t>(loader_version, VK_API_VERSION_1_3);

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "gridbench";
  app.apiVersion = instance->api_version_;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;

  const char* layers[] = {kValidationLayer};
  const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkDebugUtilsMessengerCreateInfoEXT messenger{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger.pfnUserCallback = &Instance::OnDebugMessage;
  messenger.pUserData = instance.get();
  if (validation) {
    GB_RETURN_IF_ERROR(RequireLayer(kValidationLayer));
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = layers;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
    // Chained so that instance creation and destruction are checked too.
    info.pNext = &messenger;
  }
  GB_RETURN_IF_ERROR(
      VkStatus(vkCreateInstance(&info, nullptr, &instance->instance_), "vkCreateInstance"));
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance->instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create == nullptr) {
      return absl::FailedPreconditionError("vkCreateDebugUtilsMessengerEXT is not available");
    }
    GB_RETURN_IF_ERROR(
        VkStatus(create(instance->instance_, &messenger, nullptr, &instance->messenger_),
                 "vkCreateDebugUtilsMessengerEXT"));
  }
  return instance;
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy != nullptr) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

absl::StatusOr<std::vector<VkPhysicalDevice>> Instance::PhysicalDevices() const {
  uint32_t count = 0;
  GB_RETURN_IF_ERROR(VkStatus(vkEnumeratePhysicalDevices(instance_, &count, nullptr),
                              "vkEnumeratePhysicalDevices"));
  std::vector<VkPhysicalDevice> devices(count);
  GB_RETURN_IF_ERROR(VkStatus(vkEnumeratePhysicalDevices(instance_, &count, devices.data()),
                              "vkEnumeratePhysicalDevices"));
  devices.resize(count);
  return devices;
}

std::vector<std::string> Instance::validation_messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::OnDebugMessage(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user_data) {
  auto* self = static_cast<Instance*>(user_data);
  // The messenger is created for ERROR severity only.
  self->validation_errors_.fetch_add(1);
  absl::MutexLock lock(&self->mu_);
  if (self->messages_.size() < kMaxKeptMessages) {
    self->messages_.emplace_back(data->pMessage != nullptr ? data->pMessage : "(no message)");
  }
  // VK_FALSE: the call that triggered the message proceeds, as the spec asks.
  return VK_FALSE;
}

}  // namespace gridbench::kernels::vulkan
