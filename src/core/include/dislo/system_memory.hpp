#pragma once
// What the node says about its memory.

#include <cstdint>

namespace dislo {

// MemAvailable of /proc/meminfo in bytes (what can be allocated without swapping, page
// cache included), or 0 when unknown.
std::uint64_t mem_available();

}  // namespace dislo
