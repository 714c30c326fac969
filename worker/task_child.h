// The hidden modes in which the gridbench-worker binary runs as a child of
// the agent, and how the agent starts them. See worker/child_process.h for
// the fds a child gets.
//
//   gridbench-worker --run-task        reads a serialized TaskChildInput from fd 0,
//                                      runs it, writes kProgress frames then
//                                      one kResult or kFailure frame to fd 3.
//   gridbench-worker --probe-hardware  writes a kProbe frame with the
//                                      openblas_* fields, then one with
//                                      vulkan_devices (if Vulkan works).
//   gridbench-worker --probe-peaks S   runs the peak probes (CPU probes S
//                                      seconds each) and writes one kProbe
//                                      frame with `peaks`, or a kFailure.
#ifndef GRIDBENCH_WORKER_TASK_CHILD_H_
#define GRIDBENCH_WORKER_TASK_CHILD_H_

#include <string>
#include <string_view>

#include "worker/child_process.h"

namespace gridbench::worker {

inline constexpr char kRunTaskFlag[] = "--run-task";
inline constexpr char kProbeHardwareFlag[] = "--probe-hardware";
inline constexpr char kProbePeaksFlag[] = "--probe-peaks";

// How to start `executable` (the gridbench-worker binary) in `mode`. OpenBLAS
// 0.3.21 falls back to slow generic kernels on CPUs newer than it knows
// unless OPENBLAS_CORETYPE is set before the process starts, so the command
// sets it to kernels::RecommendedOpenBlasCoretype() unless the operator
// already set OPENBLAS_CORETYPE for the agent (their choice wins). It also
// passes this process's pid (GRIDBENCH_AGENT_PID) so that the child can ask
// to be killed when the agent dies instead of running on unsupervised.
ChildCommand TaskChildCommand(const std::string& executable, std::string_view mode);

// The bodies of the modes; each returns the process exit code: 0 when it
// wrote its final frame (a task failure is reported in a frame, not by the
// exit code), 1 when it could not.
int RunTaskChildMain();
int RunProbeHardwareChildMain();
// `seconds` is the mode's argument as given.
int RunProbePeaksChildMain(const char* seconds);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_TASK_CHILD_H_
