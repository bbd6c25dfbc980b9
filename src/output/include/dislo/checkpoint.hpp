#pragma once
// Checkpoints of interrupted runs (docs/hpc.md): the ensembles' states, tied to the study
// and the dislo version that wrote them. One file beside the output, OUT.checkpoint,
// written atomically by one process; a reader refuses a file that is corrupt or belongs
// to another study or version (InputError: exit 2), and never overwrites anything.

#include <csignal>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/ensemble_state.hpp"

namespace dislo {

// What a resumed run must match: the resolved study (without run.walltime, which a
// requeued job may change) and the version.
std::string checkpoint_identity(const Study& study);

// Ensemble states by model name ("sde", "rw"), in the order they ran.
using Checkpoint = std::map<std::string, EnsembleState>;

std::string checkpoint_path(const Study& study);
// Writes to a temporary file beside path, then renames it over path.
void write_checkpoint(const std::string& path, const std::string& identity,
                      const Checkpoint& checkpoint);
// Throws InputError naming the file and the reason when it cannot be used.
Checkpoint read_checkpoint(const std::string& path, const std::string& identity);

// The file's bytes, and their reading (path only names the file in messages): what
// write_checkpoint and read_checkpoint do around the file itself (and what the fuzz
// target fuzz/fuzz_checkpoint.cpp drives).
std::vector<char> checkpoint_bytes(const std::string& identity, const Checkpoint& checkpoint);
Checkpoint parse_checkpoint(const std::vector<char>& bytes, const std::string& path,
                            const std::string& identity);
// The checksum that ends a checkpoint (64-bit FNV-1a of everything before it).
std::uint64_t checkpoint_checksum(const char* data, std::size_t n);

}  // namespace dislo
