// Whether a worker can run a task: requirements against detected hardware.
#ifndef GRIDBENCH_COORDINATOR_TASK_MATCHING_H_
#define GRIDBENCH_COORDINATOR_TASK_MATCHING_H_

#include <string>

#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::coordinator {

// Returns "" when `worker` satisfies `requirements`, else the first unmet
// requirement in words, e.g. "needs vulkan" or "needs label rack=a1".
// A GPU requirement is met only by a Vulkan device that is not software.
std::string UnmetRequirement(const gridbench::v1::Requirements& requirements,
                             const gridbench::v1::Worker& worker);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_TASK_MATCHING_H_
