#include "dislo/study.hpp"

#include <algorithm>

namespace dislo {

const char* to_string(KernelKind k) {
  switch (k) {
    case KernelKind::gaussian:
      return "gaussian";
    case KernelKind::cai:
      return "cai";
    case KernelKind::bump:
      return "bump";
  }
  return "?";
}

const char* to_string(InitialKind k) {
  switch (k) {
    case InitialKind::uniform:
      return "uniform";
    case InitialKind::cosine:
      return "cosine";
    case InitialKind::blobs:
      return "blobs";
    case InitialKind::file:
      return "file";
  }
  return "?";
}

bool RunParams::has_model(const std::string& m) const {
  return std::find(models.begin(), models.end(), m) != models.end();
}

}  // namespace dislo
