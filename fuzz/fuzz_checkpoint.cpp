// libFuzzer target: the checkpoint reader. The first byte picks what the rest is:
//   0: the whole file;
//   1: the whole file, its checksum made valid (past the corruption check);
//   2: the body after a valid header (magic, format, this study's identity), with a valid
//      checksum: the model states themselves.
// Every input must be read or refused with InputError; nothing else.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dislo/checkpoint.hpp"
#include "dislo/config.hpp"

namespace {

struct Header {
  std::string identity;
  std::vector<char> bytes;  // a valid checkpoint of no models, without its count and checksum
  Header() {
    identity = dislo::checkpoint_identity(dislo::load_study(""));
    const std::vector<char> empty = dislo::checkpoint_bytes(identity, {});
    bytes.assign(empty.begin(), empty.end() - sizeof(std::uint32_t) - sizeof(std::uint64_t));
  }
};

void append_checksum(std::vector<char>& file) {
  const std::uint64_t sum = dislo::checkpoint_checksum(file.data(), file.size());
  const char* p = reinterpret_cast<const char*>(&sum);
  file.insert(file.end(), p, p + sizeof sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Header header;
  if (size == 0) return 0;
  const char* rest = reinterpret_cast<const char*>(data + 1);
  std::vector<char> file;
  switch (data[0] % 3) {
    case 0:
      file.assign(rest, rest + size - 1);
      break;
    case 1:
      file.assign(rest, rest + size - 1);
      if (file.size() >= sizeof(std::uint64_t)) file.resize(file.size() - sizeof(std::uint64_t));
      append_checksum(file);
      break;
    default:
      file = header.bytes;
      file.insert(file.end(), rest, rest + size - 1);
      append_checksum(file);
  }
  try {
    (void)dislo::parse_checkpoint(file, "fuzz.checkpoint", header.identity);
  } catch (const dislo::InputError&) {
  }
  return 0;
}
