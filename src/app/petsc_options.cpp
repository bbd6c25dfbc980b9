#include "dislo/petsc_options.hpp"

#include <fmt/core.h>
#include <petscsys.h>

#include <algorithm>

namespace dislo {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string petsc_options_in_effect() {
  char* all = nullptr;
  if (PetscOptionsGetAll(nullptr, &all) != 0 || all == nullptr) return {};
  std::string text = all;
  PetscFree(all);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

namespace {

// The options dislo's solvers (MF, MFeps, the beta = inf ODE, the exact laws) read.
std::string closest_known_option(const std::string& name) {
  static const char* known[] = {"ts_type",
                                "ts_monitor",
                                "ts_adapt_monitor",
                                "ts_rtol",
                                "ts_atol",
                                "ts_max_steps",
                                "ts_dt",
                                "ts_adapt_type",
                                "ts_arkimex_type",
                                "ts_rk_type",
                                "ts_bdf_order",
                                "ts_view",
                                "ts_max_snes_failures",
                                "ts_max_reject",
                                "snes_type",
                                "snes_monitor",
                                "snes_rtol",
                                "snes_atol",
                                "snes_mf",
                                "ksp_type",
                                "ksp_monitor",
                                "ksp_rtol",
                                "pc_type",
                                "log_view",
                                "info",
                                "options_left",
                                "help",
                                "malloc_debug"};
  static const char* prefixes[] = {"", "sde_ode_", "exact2_rw_", "exact2_fp_"};
  std::string best;
  std::size_t best_distance = 3;
  for (const char* prefix : prefixes)
    for (const char* option : known) {
      const std::string candidate = std::string(prefix) + option;
      if (const std::size_t d = edit_distance(name, candidate); d < best_distance) {
        best = candidate;
        best_distance = d;
      }
    }
  return best;
}

}  // namespace

std::vector<std::string> unused_petsc_options() {
  PetscInt count = 0;
  char** names = nullptr;
  char** values = nullptr;
  if (PetscOptionsLeftGet(nullptr, &count, &names, &values) != 0) return {};
  std::vector<std::string> lines;
  for (PetscInt i = 0; i < count; ++i) {
    const std::string best = closest_known_option(names[i]);
    lines.push_back(fmt::format("PETSc option -{} was not used{}", names[i],
                                best.empty() ? "" : fmt::format(" (did you mean -{}?)", best)));
  }
  PetscOptionsLeftRestore(nullptr, &count, &names, &values);
  return lines;
}

}  // namespace dislo
