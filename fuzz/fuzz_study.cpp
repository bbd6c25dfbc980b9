// libFuzzer target: the study parser with --set overrides. The input is a study's TOML text,
// then NUL-separated overrides ("section.key=value"). Every input must either give studies
// whose resolved text parses back to the same study, or be refused with InputError
// (dislo's exit 2 with one line): another exception or a crash is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dislo/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto end = input.find('\0', start);
    parts.push_back(input.substr(start, end - start));
    if (end == std::string::npos || parts.size() > 8) break;
    start = end + 1;
  }
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  std::vector<dislo::Study> points;
  try {
    points = dislo::parse_sweep(parts[0], "fuzz.toml", overrides);
  } catch (const dislo::InputError&) {
    return 0;
  }
  for (const dislo::Study& study : points) {
    const std::string resolved = dislo::to_toml(study);
    try {
      const dislo::Study again = dislo::parse_study(resolved, study.source);
      // A sweep point's text does not say which point it is.
      if (study.sweep.index < 0 && !(again == study)) {
        std::fprintf(stderr, "the resolved study reads back differently:\n%s\n", resolved.c_str());
        std::abort();
      }
    } catch (const dislo::InputError& e) {
      std::fprintf(stderr, "the resolved study is refused: %s\n%s\n", e.what(), resolved.c_str());
      std::abort();
    }
  }
  return 0;
}
