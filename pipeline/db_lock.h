#pragma once
// DbLock: an exclusive advisory lock (flock) on "<database>.lock", held by the one process that
// writes a results database. A second `pipeline run` on the same database fails at once with a
// clear message instead of meeting "database is locked" later. The kernel drops the lock when
// the process dies, even by kill -9, so a crashed sweep never blocks its own resume.

#include <string>

namespace pipeline {

class DbLock {
 public:
  // Throws StoreError if another process holds the lock.
  explicit DbLock(const std::string& database_path);
  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace pipeline
