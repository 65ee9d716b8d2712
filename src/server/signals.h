#pragma once
// Stop signals (SIGINT, SIGTERM) are blocked in every thread and taken synchronously by the main
// thread, so no handler runs at an arbitrary point and shutdown follows one ordered path.

#include <cstdint>

namespace om::server {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards.
// Call first thing in main().
void BlockStopSignals();
// Waits for SIGINT or SIGTERM for at most `timeout_ms` (negative: forever). Returns true if one
// arrived.
bool WaitForStopSignal(int64_t timeout_ms = -1);

}  // namespace om::server
