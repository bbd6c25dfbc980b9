#pragma once
// `dislo distance`: certified w1 and bl between a point set that a user brings (another
// simulator's output) and a density, or between two point sets (contract.md). Runs on
// one rank.

#include <string>
#include <vector>

#include "dislo/semidiscrete.hpp"

namespace dislo {

struct DistanceRequest {
  std::vector<std::string> inputs;  // A.h5 [B.h5]
  std::vector<std::string> kinds{"w1", "bl"};
  double tolerance = 0.02;
};

struct DistanceRow {
  std::string kind, sign;  // sign: plus, minus or all
  Bracket bracket;
  double seconds = 0;
  int grid = 0;  // the flow's cells (0 between two point sets: exact)
};

// Reads the inputs (InputError naming file, dataset and what is wrong) and computes every
// requested kind for each sign the points carry (and "all").
std::vector<DistanceRow> compute_distances(const DistanceRequest& request);
// One JSON object per row.
std::string to_json_lines(const std::vector<DistanceRow>& rows);
// /distance/<kind>_<sign> groups with attributes value, lower, upper, seconds, grid,
// written to PATH.tmp-* and renamed.
void write_distances(const std::string& path, const std::vector<DistanceRow>& rows);

}  // namespace dislo
