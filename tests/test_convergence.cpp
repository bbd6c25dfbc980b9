// MFeps -> MF at rate eps^2 (Theorem 1.3; models.md section 5): the L2(nu_eps) distance at
// T between the lattice solution and the continuum solution sampled at the sites.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::gather_full;
using dislo::testing::small_study;

TEST(Convergence, LatticeMeanFieldToMeanFieldAtOrderTwo) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // Reduced (sanitizer build): MF on 128^2 and L = 16, 32, 64, the same assertions.
  const bool reduced = dislo::testing::reduced_case();
  const int M = reduced ? 128 : 256;
  const double T = 0.1, delta = 0.125, beta = 4.0;
  Study study = small_study(KernelKind::gaussian, M, 32, delta, beta);
  study.mf.rtol = study.mfeps.rtol = 1e-10;
  study.mf.atol = study.mfeps.atol = 1e-13;
  study.initial.kind = InitialKind::cosine;
  study.initial.k = {1, 1};
  study.initial.amplitude = 0.6;
  study.initial.amplitude_minus = -0.4;
  study.initial.mass_plus = 0.55;
  const Kernel kernel(study.kernel, delta);
  const InitialDensity rho0(study.initial);

  MeanField mf(MPI_COMM_WORLD, study, kernel);
  mf.set_initial(rho0);
  mf.advance_to(T);
  const auto mf_plus = gather_full(mf.grid(), mf.rho(+1));
  const auto mf_minus = gather_full(mf.grid(), mf.rho(-1));

  std::vector<double> log_eps, log_err;
  const std::vector<int> lattices =
      reduced ? std::vector<int>{16, 32, 64} : std::vector<int>{32, 64, 128, 256};
  for (int L : lattices) {
    study.model.lattice = L;
    LatticeMeanField mfeps(MPI_COMM_WORLD, study, kernel);
    mfeps.set_initial(rho0);
    mfeps.advance_to(T);
    const auto lp = gather_full(mfeps.grid(), mfeps.rho(+1));
    const auto lm = gather_full(mfeps.grid(), mfeps.rho(-1));
    const int stride = M / L;
    double sum = 0;
    for (int i = 0; i < L; ++i)
      for (int j = 0; j < L; ++j) {
        const std::size_t site = std::size_t(i) * L + j;
        const std::size_t point = std::size_t(i * stride) * M + j * stride;
        sum += std::pow(lp[site] - mf_plus[point], 2) + std::pow(lm[site] - mf_minus[point], 2);
      }
    const double eps = 1.0 / L;
    const double err = std::sqrt(eps * eps * sum);
    log_eps.push_back(std::log(eps));
    log_err.push_back(std::log(err));
    RecordProperty("l2_L" + std::to_string(L), std::to_string(err));
    if (rank == 0) std::printf("L = %4d  ||MFeps - MF||_L2(nu_eps) = %.6e\n", L, err);
  }
  // Least-squares slope of log err against log eps.
  const double n = double(log_eps.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t k = 0; k < log_eps.size(); ++k) {
    sx += log_eps[k];
    sy += log_err[k];
    sxx += log_eps[k] * log_eps[k];
    sxy += log_eps[k] * log_err[k];
  }
  const double order = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  if (rank == 0) std::printf("fitted order %.4f\n", order);
  EXPECT_GE(order, tol::order_min);
  EXPECT_LE(order, tol::order_max);
}
