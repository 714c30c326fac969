// Whether a worker can run a task: requirements against detected hardware.
#ifndef GRIDBENCH_COORDINATOR_TASK_MATCHING_H_
#define GRIDBENCH_COORDINATOR_TASK_MATCHING_H_

#include <string>

#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::coordinator {

// Returns "" when `worker` can run `task`, else the first unmet requirement
// in words, e.g. "needs vulkan" or "needs label rack=a1".
// - The backend is requirements.backend or, when empty, the kind's default
//   (common/task_params.h): a gemm with no backend needs "blas".
// - Backend vulkan also needs a Vulkan device in the worker's profile (a
//   software one such as lavapipe counts) and, when params.device names one
//   (an index or a name substring), that device.
// - A GPU requirement is met only by a Vulkan device that is not software.
std::string UnmetRequirement(const gridbench::v1::TaskSpec& task,
                             const gridbench::v1::Worker& worker);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_TASK_MATCHING_H_
