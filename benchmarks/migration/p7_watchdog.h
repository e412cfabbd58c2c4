// p7_watchdog.h — how cairn_p7 runs its work and cleans up after it.
//
// Everything goes in a fresh directory (mkdtemp under --dir, default
// /tmp). The work runs in a child process; the parent waits for it and
// then, however the child ended (even killed), destroys the databases with
// cairn_destroy (which removes their shared-memory segments), removes the
// directory and unlinks the child's simulation segments
// (/dev/shm/cairn-p7-<child pid>-*). If the parent itself is killed, the
// child gets SIGTERM (PR_SET_PDEATHSIG) and cleans up on its own.
// SIGINT, SIGTERM and SIGHUP to the parent are forwarded to the child; in
// the child they set a flag (StopRequested) that ends the phases early.
//
// CAIRN_P7_NO_WATCHDOG=1 runs the work in-process (for a debugger); cleanup
// is then done only on a normal exit or SIGINT/SIGTERM.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_WATCHDOG_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_WATCHDOG_H_

#include <functional>
#include <string>

namespace p7 {

// Whether SIGINT/SIGTERM/SIGHUP reached the worker. Async-signal-safe flag.
bool StopRequested();

// Runs `work` in a worker (a child process unless CAIRN_P7_NO_WATCHDOG is
// set) with the stop signals handled, then cleans up `run_dir` as above.
// Returns the worker's exit status, 128 + signal if it was killed, or 2 if
// it could not be started.
int RunWatched(const std::string& run_dir, const std::function<int()>& work);

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_WATCHDOG_H_
