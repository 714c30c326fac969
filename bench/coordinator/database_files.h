// Removes a scratch SQLite database: the file and the -wal and -shm files
// WAL mode keeps beside it, so each run of a store benchmark starts empty.
#ifndef GRIDBENCH_BENCH_COORDINATOR_DATABASE_FILES_H_
#define GRIDBENCH_BENCH_COORDINATOR_DATABASE_FILES_H_

#include <filesystem>
#include <string>

namespace gridbench::bench {

inline void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace gridbench::bench

#endif  // GRIDBENCH_BENCH_COORDINATOR_DATABASE_FILES_H_
