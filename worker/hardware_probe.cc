#include "worker/hardware_probe.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "kernels/cpu/cpu_features.h"
#include "worker/child_process.h"
#include "worker/durable_file.h"
#include "worker/task_child.h"

namespace gridbench::worker {
namespace {

constexpr char kCpuDir[] = "/sys/devices/system/cpu";
constexpr absl::Duration kProbeTimeout = absl::Seconds(60);

absl::StatusOr<std::string> ReadTrimmed(const std::string& path) {
  GB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return std::string(absl::StripAsciiWhitespace(text));
}

// Parses a kernel CPU list such as "0-3,8,10-11".
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view list) {
  std::vector<int> cpus;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(part, '-');
    int lo = 0, hi = 0;
    if (!absl::SimpleAtoi(range.first, &lo) ||
        !absl::SimpleAtoi(range.second.empty() ? range.first : range.second, &hi) || hi < lo) {
      return absl::InternalError(absl::StrCat("unexpected CPU list \"", list, "\""));
    }
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  return cpus;
}

// Threads = online logical CPUs; cores = distinct (package, core) pairs.
absl::Status ProbeTopology(gridbench::v1::HardwareProfile& hw) {
  GB_ASSIGN_OR_RETURN(std::string online, ReadTrimmed(absl::StrCat(kCpuDir, "/online")));
  GB_ASSIGN_OR_RETURN(std::vector<int> cpus, ParseCpuList(online));
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu : cpus) {
    const std::string topo = absl::StrCat(kCpuDir, "/cpu", cpu, "/topology/");
    GB_ASSIGN_OR_RETURN(std::string package, ReadTrimmed(topo + "physical_package_id"));
    GB_ASSIGN_OR_RETURN(std::string core, ReadTrimmed(topo + "core_id"));
    cores.emplace(package, core);
  }
  hw.set_threads(static_cast<uint32_t>(cpus.size()));
  hw.set_cores(static_cast<uint32_t>(cores.size()));
  return absl::OkStatus();
}

// "32K" / "36608K" / "1M" as sysfs writes cache sizes.
uint64_t ParseCacheSize(absl::string_view text) {
  uint64_t scale = 1;
  if (absl::ConsumeSuffix(&text, "K")) scale = 1024;
  if (absl::ConsumeSuffix(&text, "M")) scale = 1024 * 1024;
  uint64_t n = 0;
  return absl::SimpleAtoi(text, &n) ? n * scale : 0;
}

absl::Status ProbeCaches(gridbench::v1::HardwareProfile& hw) {
  const std::string dir = absl::StrCat(kCpuDir, "/cpu0/cache");
  std::error_code ec;
  std::vector<std::string> indexes;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().starts_with("index")) indexes.push_back(entry.path());
  }
  std::sort(indexes.begin(), indexes.end());
  for (const std::string& index : indexes) {
    gridbench::v1::CacheInfo cache;
    GB_ASSIGN_OR_RETURN(std::string level, ReadTrimmed(index + "/level"));
    GB_ASSIGN_OR_RETURN(std::string type, ReadTrimmed(index + "/type"));
    GB_ASSIGN_OR_RETURN(std::string size, ReadTrimmed(index + "/size"));
    GB_ASSIGN_OR_RETURN(std::string shared, ReadTrimmed(index + "/shared_cpu_list"));
    GB_ASSIGN_OR_RETURN(std::vector<int> sharing, ParseCpuList(shared));
    uint32_t lvl = 0;
    (void)absl::SimpleAtoi(level, &lvl);
    cache.set_level(lvl);
    cache.set_type(absl::AsciiStrToLower(type));
    cache.set_size_bytes(ParseCacheSize(size));
    cache.set_shared_by_threads(static_cast<uint32_t>(sharing.size()));
    *hw.add_caches() = std::move(cache);
  }
  // Some virtual machines expose no cache directory; that is not an error.
  return absl::OkStatus();
}

std::string OsPrettyName() {
  absl::StatusOr<std::string> text = ReadWholeFile("/etc/os-release");
  if (!text.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, "PRETTY_NAME=")) {
      line = absl::StripAsciiWhitespace(line);
      if (line.size() >= 2 && line.front() == '"' && line.back() == '"') {
        line = line.substr(1, line.size() - 2);
      }
      return std::string(line);
    }
  }
  return "";
}

// The OpenBLAS and Vulkan facts, from a child started like a task child.
absl::StatusOr<gridbench::v1::HardwareProfile> ProbeInChild(const std::string& executable) {
  GB_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                      ChildProcess::Start(TaskChildCommand(executable, kProbeHardwareFlag), ""));
  gridbench::v1::HardwareProfile found;
  bool got_openblas = false;
  GB_ASSIGN_OR_RETURN(ChildExit exit, child->Wait(absl::Now() + kProbeTimeout, [&](Frame frame) {
    gridbench::v1::HardwareProfile part;
    if (frame.type == FrameType::kProbe && part.ParseFromString(frame.bytes)) {
      got_openblas = got_openblas || !part.openblas_corename().empty();
      found.MergeFrom(part);
    }
  }));
  if (!got_openblas) {
    return absl::InternalError(
        absl::StrCat("the hardware probe child (", executable, " ", kProbeHardwareFlag,
                     ") reported no OpenBLAS facts; exit status ", exit.exit_status, ", signal ",
                     exit.signal, ", output: ", exit.stderr_tail));
  }
  return found;
}

}  // namespace

absl::StatusOr<uint64_t> ReadMeminfoBytes(std::string_view key) {
  GB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile("/proc/meminfo"));
  const absl::string_view wanted(key.data(), key.size());
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, wanted) || !absl::ConsumePrefix(&line, ":")) continue;
    line = absl::StripAsciiWhitespace(line);
    const bool kb = absl::ConsumeSuffix(&line, " kB");
    uint64_t n = 0;
    if (!absl::SimpleAtoi(line, &n)) break;
    return kb ? n * 1024 : n;
  }
  return absl::NotFoundError(absl::StrCat("/proc/meminfo has no readable ", std::string(key)));
}

absl::StatusOr<gridbench::v1::HardwareProfile> ProbeHardware(const std::string& worker_executable) {
  GB_ASSIGN_OR_RETURN(gridbench::v1::HardwareProfile hw, ProbeInChild(worker_executable));
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) hw.set_hostname(host);
  utsname uts{};
  if (uname(&uts) == 0) {
    hw.set_arch(uts.machine);
    hw.set_kernel(absl::StrCat(uts.sysname, " ", uts.release));
  }
  const kernels::CpuFeatures& cpu = kernels::DetectCpuFeatures();
  hw.set_cpu_model(cpu.brand);
  for (const std::string& name : cpu.Names()) hw.add_isa_features(name);
  GB_RETURN_IF_ERROR(ProbeTopology(hw));
  GB_RETURN_IF_ERROR(ProbeCaches(hw));
  GB_ASSIGN_OR_RETURN(const uint64_t memory, ReadMeminfoBytes("MemTotal"));
  hw.set_memory_bytes(memory);
  hw.set_os(OsPrettyName());
  hw.add_backends("blas");
  hw.add_backends("quant");
  hw.add_backends("cpu");  // The llama forward pass on the CPU (inference).
  if (hw.vulkan_devices_size() > 0) hw.add_backends("vulkan");
  return hw;
}

}  // namespace gridbench::worker
