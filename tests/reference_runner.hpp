#pragma once
// Runs an independent reference (tests/reference/<script>, Debian's python3 with POT and
// scipy) on cases the test writes, one per line, into the build directory.

#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

namespace dislo::testing {

// write(f) writes the cases; on success `result` reads the reference's numbers.
inline bool run_reference(const std::string& script, const std::string& name,
                          const std::function<void(std::ofstream&)>& write, std::ifstream& result) {
  const char* bin = std::getenv("DISLO_BINARY_DIR");
  const char* src = std::getenv("DISLO_SOURCE_DIR");
  const std::string dir = bin ? bin : ".";
  const std::string in = dir + "/" + name + "_cases.txt", out = dir + "/" + name + "_reference.txt";
  {
    std::ofstream f(in);
    f.precision(17);
    write(f);
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(src ? src : "..") +
                          "/tests/reference/" + script + " " + in + " " + out;
  if (std::system(cmd.c_str()) != 0) return false;
  result.open(out);
  return bool(result);
}

}  // namespace dislo::testing
