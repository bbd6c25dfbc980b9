#pragma once

namespace dislo {
// Fixed at configure time.
const char* version();
const char* git_revision();
const char* build_type();
}  // namespace dislo
