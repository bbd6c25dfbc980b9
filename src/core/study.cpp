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

bool Study::needs_mf() const {
  return run.has_model("mf") || run.has_model("sde") ||
         (run.has_model("rw") && metrics.rw_against_mf);
}

bool Study::needs_mfeps() const { return run.has_model("mfeps") || run.has_model("rw"); }

}  // namespace dislo
