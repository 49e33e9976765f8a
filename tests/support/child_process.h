#pragma once
// Starting the `pipeline` binary in a child process, for the tests that must run the real CLI
// (the crash tests kill it with SIGKILL). POSIX only (posix_spawn, waitpid).

#include <sys/types.h>

#include <string>
#include <vector>

namespace testing_support {

// Starts `argv[0]` (a path, not looked up in PATH) with the arguments `argv` and the test's
// environment; its stdout goes to the file `stdout_path` (created or truncated; "/dev/null" to
// drop it), its stderr to /dev/null. Fails the current test (Catch2 REQUIRE) if it cannot start.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path = "/dev/null");

// Waits for `pid` to end: its exit status, or 128 + the signal that killed it (as a shell
// reports it, e.g. 137 after SIGKILL).
int Wait(pid_t pid);

}  // namespace testing_support
