#pragma once
// ArtifactCache: stage outputs on disk, one folder per stage key (docs/results-layout.md):
//
//   <root>/<first two hex digits of key>/<key>/output.art   the stage's Artifact
//   <root>/<..>/<key>/<file>                                pictures and tables it wrote
//
// A stage writes into a fresh temporary folder "<key>.tmp-<n>" beside the final one; Commit()
// renames the folder into place, so a folder under its final name is always complete.
//
// Durability: with kImmediate, Commit() fsyncs every file, the folder and its parent. With
// kDeferred (the runner's choice), Commit() only renames, and the StoreWriter calls SyncAll()
// — one syncfs() for the whole file system — before the transaction that marks any of those
// stages done. One sync per batch instead of three per stage cuts the orchestration cost per
// run about tenfold, with the same guarantee: a stage is marked done only after its files are
// durable. (A rename lost to a power cut only means the stage is recomputed: a stage counts as
// cached only if its row says done and its folder exists.)
// Corrupt entries: Verify() checks an entry's output.art checksum; Quarantine() moves a bad
// entry to <root>/quarantine/<key>-<unix seconds> (kept for inspection, never read again), so
// the key counts as missing and its stage is recomputed.
// Thread-safe: concurrent stages use distinct keys and distinct temporary folders.

#include <atomic>
#include <string>
#include <vector>

#include "pipeline/artifact.h"

namespace pipeline {

struct CommittedFile {
  std::string name;
  std::string path;          // final path
  std::string content_hash;  // XXH3-128 hex
  int64_t bytes = 0;
};

struct CommitResult {
  std::string output_hash;           // content hash of output.art
  std::vector<CommittedFile> files;  // output.art first, then the stage's own files
};

class ArtifactCache {
 public:
  enum class Durability { kImmediate, kDeferred };
  explicit ArtifactCache(std::string root, Durability durability = Durability::kImmediate);
  ArtifactCache(const ArtifactCache&) = delete;
  ArtifactCache& operator=(const ArtifactCache&) = delete;

  const std::string& root() const { return root_; }
  std::string FinalDir(const std::string& key) const;
  std::string OutputPath(const std::string& key) const;
  bool Has(const std::string& key) const;

  // A folder that survives failed and interrupted executions of `key` (not removed by
  // RemoveStaleTempDirs), for a long stage's progress, e.g. a trainer's state after each
  // epoch, so the next attempt continues instead of starting over. Created on demand; Commit
  // removes it.
  std::string ResumeDir(const std::string& key) const;

  // A new empty temporary folder for one execution of `key`.
  std::string CreateTempDir(const std::string& key);
  // Writes `artifact` as output.art into `temp_dir`, makes everything durable and moves the
  // folder into place, replacing an older entry for the key.
  CommitResult Commit(const std::string& key, const std::string& temp_dir,
                      const Artifact& artifact);
  void RemoveDir(const std::string& dir);
  ArtifactPtr Load(const std::string& key) const;
  // Throws DataError if output.art of `key` is truncated or fails its checksum (reads the file
  // once, without parsing it).
  void Verify(const std::string& key) const;
  // Moves the folder of `key` to <root>/quarantine/<key>-<unix_seconds> (with a suffix "-<n>"
  // if that exists); returns the new path. Throws StoreError if the folder cannot be moved.
  std::string Quarantine(const std::string& key, int64_t unix_seconds);
  // Makes every committed file durable (syncfs on the cache's file system).
  void SyncAll();
  // Removes temporary folders left by a process that died (call while holding the study lock).
  int RemoveStaleTempDirs();

 private:
  std::string root_;
  Durability durability_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace pipeline
