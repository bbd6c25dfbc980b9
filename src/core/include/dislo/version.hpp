#pragma once

namespace dislo {
const char* version();       // the project's, fixed at configure time
const char* git_revision();  // of the sources built, "<commit>[-dirty]" or "unknown"
const char* build_type();
// How it was built (configure time): the C++ compiler, the flags of the build type with
// dislo's warning and sanitizer options, and where each dependency was found (one
// "name: path" per line).
const char* compiler();
const char* compile_flags();
const char* dependency_paths();
}  // namespace dislo
