#pragma once
// The on-disk form of an Artifact (documented in docs/results-layout.md):
//
//   bytes 0..7    magic "PLARTF01"
//   bytes 8..15   little-endian u64: length L of the JSON header
//   bytes 16..    the JSON header: {"meta": {...}, "tensors": [{"name", "dtype", "shape",
//                 "offset", "bytes"}, ...]}; offsets are from the start of the file, 64-aligned
//   ...           tensor payloads, raw little-endian, row-major
//   last 16 bytes "PLEND001" + u64 XXH3-64 of every byte before them
//
// The trailer makes truncation and corruption detectable: ReadArtifactFile throws DataError
// with the file and the byte offset of the first inconsistency.

#include <string>

#include "pipeline/artifact.h"

namespace pipeline {

// Writes `artifact` to `path` (not atomically: callers write into a temporary folder), and
// fsyncs it when `sync` is set. Throws StoreError on I/O failure.
void WriteArtifactFile(const Artifact& artifact, const std::string& path, bool sync = true);
Artifact ReadArtifactFile(const std::string& path);
// Checks only the end marker and the checksum, streaming the file once without parsing it or
// holding it in memory. Throws DataError as ReadArtifactFile would for a truncated or corrupt
// file (a file that passes can still fail ReadArtifactFile if it was written wrongly).
void VerifyArtifactFile(const std::string& path);

}  // namespace pipeline
