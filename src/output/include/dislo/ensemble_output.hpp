#pragma once
// An ensemble's results in the output file (docs/hdf5-layout.md: /sde and /rw).

#include <mpi.h>

#include <string>

#include "dislo/config.hpp"
#include "dislo/ensemble.hpp"
#include "dislo/io.hpp"

namespace dislo {

// Collective. Metrics (mean, stderr, values), kappa, laws, pair densities and timings of
// res (whole on rank 0) under group ("/sde" or "/rw").
void write_ensemble(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                    const EnsembleResult& res);

// Collective. Lemma 4.2's right-hand side at the output times, with the replicas' mean
// kappa, under group + "/chaos".
void write_chaos_bound(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                       const EnsembleResult& res, double C_V, double interpolation_error);

}  // namespace dislo
