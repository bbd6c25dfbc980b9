#pragma once
// The initial densities rho0^{+-} (densities w.r.t. Lebesgue measure on the torus),
// and their samples on a grid (MF) or a lattice (MFeps, section 1.4.3 of the paper).

#include <vector>

#include "dislo/config.hpp"
#include "dislo/spectral.hpp"

namespace dislo {

class InitialDensity {
 public:
  explicit InitialDensity(const InitialParams& params);
  // rho0^{sign}(x, y), sign = +1 or -1.
  double operator()(int sign, double x, double y) const;
  double mass(int sign) const { return sign > 0 ? params_.mass_plus : params_.mass_minus(); }
  // An upper bound of rho0^{sign} over the torus (exact for uniform, cosine and file
  // data; for blobs the sum of the blobs' peaks), for rejection sampling.
  double upper_bound(int sign) const;
  const InitialParams& params() const { return params_; }

  // Samples at the local rows of an N x N grid, rescaled so that the grid mean is exactly
  // the sign's mass (the lattice density of MFeps: rho0 sampled at sites, normalised).
  std::vector<double> sample(int sign, const SpectralGrid& grid) const;

 private:
  InitialParams params_;
  int file_G_ = 0;
  std::vector<double> file_plus_, file_minus_;
  double file_mass_plus_ = 1, file_mass_minus_ = 1;
  double blobs(const std::vector<Blob>& blobs, double x, double y) const;
  double from_file(const std::vector<double>& data, double x, double y) const;
};

}  // namespace dislo
