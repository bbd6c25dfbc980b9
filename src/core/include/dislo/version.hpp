#pragma once

namespace dislo {
const char* version();       // the project's, fixed at configure time
const char* git_revision();  // of the sources built, "<commit>[-dirty]" or "unknown"
const char* build_type();
}  // namespace dislo
