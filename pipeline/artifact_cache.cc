#include "pipeline/artifact_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "pipeline/artifact_io.h"
#include "pipeline/errors.h"
#include "pipeline/hash.h"

namespace fs = std::filesystem;

namespace pipeline {
namespace {

void FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw StoreError("cannot open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw StoreError("cannot sync " + path + ": " + std::strerror(errno));
}

}  // namespace

ArtifactCache::ArtifactCache(std::string root, Durability durability)
    : root_(std::move(root)), durability_(durability) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw StoreError("cannot create the cache folder " + root_ + ": " + ec.message());
}

std::string ArtifactCache::FinalDir(const std::string& key) const {
  return root_ + "/" + key.substr(0, 2) + "/" + key;
}

std::string ArtifactCache::ResumeDir(const std::string& key) const {
  return FinalDir(key) + ".resume";
}

std::string ArtifactCache::OutputPath(const std::string& key) const {
  return FinalDir(key) + "/output.art";
}

bool ArtifactCache::Has(const std::string& key) const {
  std::error_code ec;
  return fs::is_regular_file(OutputPath(key), ec);
}

std::string ArtifactCache::CreateTempDir(const std::string& key) {
  const std::string parent = root_ + "/" + key.substr(0, 2);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw StoreError("cannot create " + parent + ": " + ec.message());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string dir = parent + "/" + key + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter_.fetch_add(1));
    if (fs::create_directory(dir, ec)) return dir;
  }
  throw StoreError("cannot create a temporary folder under " + parent);
}

CommitResult ArtifactCache::Commit(const std::string& key, const std::string& temp_dir,
                                   const Artifact& artifact) {
  const bool sync = durability_ == Durability::kImmediate;
  WriteArtifactFile(artifact, temp_dir + "/output.art", sync);
  CommitResult result;
  const std::string final_dir = FinalDir(key);
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(temp_dir)) {
    entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end(), [](const fs::path& a, const fs::path& b) {
    // output.art first, then the stage's files by name.
    const bool a_out = a.filename() == "output.art", b_out = b.filename() == "output.art";
    return a_out != b_out ? a_out : a.filename() < b.filename();
  });
  for (const fs::path& path : entries) {
    if (sync) FsyncPath(path.string(), false);
    CommittedFile file;
    file.name = path.filename().string();
    file.path = final_dir + "/" + file.name;
    file.content_hash = HashFile(path.string());
    file.bytes = static_cast<int64_t>(fs::file_size(path));
    result.files.push_back(file);
  }
  result.output_hash = result.files.front().content_hash;
  if (sync) FsyncPath(temp_dir, true);

  std::error_code ec;
  if (fs::exists(final_dir, ec)) {
    // Replacing an entry (--force): move the old one aside first so a crash leaves either the
    // old or the new folder under the final name, never a mixture.
    const std::string old_dir = temp_dir + ".old";
    fs::rename(final_dir, old_dir, ec);
    if (ec) throw StoreError("cannot replace " + final_dir + ": " + ec.message());
    fs::remove_all(old_dir, ec);
  }
  fs::rename(temp_dir, final_dir, ec);
  if (ec) throw StoreError("cannot move " + temp_dir + " to " + final_dir + ": " + ec.message());
  fs::remove_all(ResumeDir(key), ec);  // progress of earlier attempts is no longer needed
  if (sync) FsyncPath(fs::path(final_dir).parent_path().string(), true);
  return result;
}

void ArtifactCache::RemoveDir(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

ArtifactPtr ArtifactCache::Load(const std::string& key) const {
  return std::make_shared<const Artifact>(ReadArtifactFile(OutputPath(key)));
}

void ArtifactCache::Verify(const std::string& key) const { VerifyArtifactFile(OutputPath(key)); }

std::string ArtifactCache::Quarantine(const std::string& key, int64_t unix_seconds) {
  const std::string folder = root_ + "/quarantine";
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw StoreError("cannot create " + folder + ": " + ec.message());
  const std::string base = folder + "/" + key + "-" + std::to_string(unix_seconds);
  std::string target = base;
  for (int n = 1; fs::exists(target, ec); ++n) target = base + "-" + std::to_string(n);
  fs::rename(FinalDir(key), target, ec);
  if (ec) {
    throw StoreError("cannot move the corrupt cache entry " + FinalDir(key) + " to " + target +
                     ": " + ec.message() + "; remove it by hand");
  }
  return target;
}

void ArtifactCache::SyncAll() {
  const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw StoreError("cannot open " + root_ + " to sync it: " + std::strerror(errno));
  const int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) throw StoreError("cannot sync the file system of " + root_ + ": " + std::strerror(errno));
}

int ArtifactCache::RemoveStaleTempDirs() {
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& shard : fs::directory_iterator(root_, ec)) {
    if (!shard.is_directory()) continue;
    for (const fs::directory_entry& entry : fs::directory_iterator(shard.path(), ec)) {
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) {
        fs::remove_all(entry.path(), ec);
        ++removed;
      }
    }
  }
  return removed;
}

}  // namespace pipeline
