// StdMutex, StdMutexLock and StdCondVar: std::mutex and
// std::condition_variable, annotated for clang's -Wthread-safety.
//
// Why not absl::Mutex: the system abseil is not built with ThreadSanitizer
// annotations, so TSan cannot see absl::Mutex's synchronisation and reports
// races that are not there; it does see the pthread calls under std::mutex.
//
// Thread-safety: these are the synchronisation primitives.
#ifndef GRIDBENCH_COMMON_ANNOTATED_MUTEX_H_
#define GRIDBENCH_COMMON_ANNOTATED_MUTEX_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace gridbench {

class ABSL_LOCKABLE StdMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class StdCondVar;
  std::mutex mu_;
};

// Holds `mu` for its lifetime.
class ABSL_SCOPED_LOCKABLE StdMutexLock {
 public:
  explicit StdMutexLock(StdMutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_.Lock(); }
  ~StdMutexLock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  StdMutexLock(const StdMutexLock&) = delete;
  StdMutexLock& operator=(const StdMutexLock&) = delete;

 private:
  StdMutex& mu_;
};

class StdCondVar {
 public:
  // Releases `mu`, waits for a Signal, and takes `mu` again before
  // returning. May return spuriously: call it in a loop on the condition.
  void Wait(StdMutex& mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // Still held; the caller's StdMutexLock releases it.
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_ANNOTATED_MUTEX_H_
