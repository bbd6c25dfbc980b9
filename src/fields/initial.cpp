#include "dislo/initial.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "dislo/density_file.hpp"

namespace dislo {

namespace {
// Periodised 1-D gaussian of standard deviation w at distance d (images until < 1e-17).
double periodic_gauss_1d(double d, double w) {
  const int images = 1 + static_cast<int>(std::ceil(9 * w));
  double s = 0;
  for (int m = -images; m <= images; ++m) {
    const double z = d + m;
    s += std::exp(-z * z / (2 * w * w));
  }
  return s / (std::sqrt(2 * std::numbers::pi) * w);
}
}  // namespace

InitialDensity::InitialDensity(const InitialParams& params) : params_(params) {
  if (params_.kind == InitialKind::file) {
    int Gm = 0;
    file_plus_ = read_square_dataset(params_.file, "rho_plus", file_G_);
    file_minus_ = read_square_dataset(params_.file, "rho_minus", Gm);
    if (Gm != file_G_)
      throw InputError(params_.file + ": rho_plus is " + std::to_string(file_G_) +
                       "^2 but rho_minus is " + std::to_string(Gm) + "^2: must have equal shape");
    double sp = 0, sm = 0;
    for (std::size_t k = 0; k < file_plus_.size(); ++k) {
      if (file_plus_[k] < 0 || file_minus_[k] < 0 || !std::isfinite(file_plus_[k] + file_minus_[k]))
        throw InputError(params_.file + ": rho_plus/rho_minus: densities must be finite and >= 0");
      sp += file_plus_[k];
      sm += file_minus_[k];
    }
    file_mass_plus_ = sp / file_plus_.size();
    file_mass_minus_ = sm / file_minus_.size();
    if ((file_mass_plus_ <= 0 && params_.mass_plus > 0) ||
        (file_mass_minus_ <= 0 && params_.mass_minus() > 0))
      throw InputError(
          params_.file +
          ": a sign with positive initial.mass_plus/minus has zero density in the file");
  }
}

double InitialDensity::blobs(const std::vector<Blob>& list, double x, double y) const {
  double total_weight = 0, s = 0;
  for (const auto& b : list) {
    total_weight += b.weight;
    s += b.weight * periodic_gauss_1d(x - b.centre[0], b.width) *
         periodic_gauss_1d(y - b.centre[1], b.width);
  }
  return total_weight > 0 ? s / total_weight : 0.0;
}

// Bilinear, periodic; file samples sit at (i/G, j/G).
double InitialDensity::from_file(const std::vector<double>& d, double x, double y) const {
  const int G = file_G_;
  const double u = x * G, v = y * G;
  const double fu = std::floor(u), fv = std::floor(v);
  const double a = u - fu, b = v - fv;
  auto at = [&](long i, long j) {
    i = ((i % G) + G) % G;
    j = ((j % G) + G) % G;
    return d[std::size_t(i) * G + j];
  };
  const long i = static_cast<long>(fu), j = static_cast<long>(fv);
  return (1 - a) * (1 - b) * at(i, j) + a * (1 - b) * at(i + 1, j) + (1 - a) * b * at(i, j + 1) +
         a * b * at(i + 1, j + 1);
}

double InitialDensity::operator()(int sign, double x, double y) const {
  const double m = mass(sign);
  switch (params_.kind) {
    case InitialKind::uniform:
      return m;
    case InitialKind::cosine: {
      const double a = sign > 0 ? params_.amplitude : params_.amplitude_minus;
      const double phase = sign > 0 ? params_.phase : params_.phase_minus;
      const double arg = 2 * std::numbers::pi * (params_.k[0] * x + params_.k[1] * y) + phase;
      return m * (1 + a * std::cos(arg));
    }
    case InitialKind::blobs:
      return m * blobs(sign > 0 ? params_.blobs_plus : params_.blobs_minus, x, y);
    case InitialKind::file:
      return sign > 0 ? m * from_file(file_plus_, x, y) / file_mass_plus_
                      : m * from_file(file_minus_, x, y) / file_mass_minus_;
  }
  return 0;
}

double InitialDensity::upper_bound(int sign) const {
  const double m = mass(sign);
  switch (params_.kind) {
    case InitialKind::uniform:
      return m;
    case InitialKind::cosine:
      return m * (1 + std::abs(sign > 0 ? params_.amplitude : params_.amplitude_minus));
    case InitialKind::blobs: {
      const auto& list = sign > 0 ? params_.blobs_plus : params_.blobs_minus;
      double total_weight = 0, s = 0;
      for (const auto& b : list) {
        total_weight += b.weight;
        const double peak = periodic_gauss_1d(0, b.width);
        s += b.weight * peak * peak;
      }
      return total_weight > 0 ? m * s / total_weight : 0.0;
    }
    case InitialKind::file: {
      // Bilinear interpolation never exceeds the largest sample.
      const auto& d = sign > 0 ? file_plus_ : file_minus_;
      double top = 0;
      for (double v : d) top = std::max(top, v);
      return m * top / (sign > 0 ? file_mass_plus_ : file_mass_minus_);
    }
  }
  return 0;
}

std::vector<double> InitialDensity::sample(int sign, const SpectralGrid& grid) const {
  const int N = grid.N();
  std::vector<double> out(grid.real_size());
  for (int i = 0; i < grid.local_rows(); ++i)
    for (int j = 0; j < N; ++j)
      out[std::size_t(i) * N + j] = (*this)(sign, double(grid.row_start() + i) / N, double(j) / N);
  const double mean = grid.sum(out.data()) / (double(N) * N);
  const double m = mass(sign);
  if (mean > 0)
    for (auto& v : out) v *= m / mean;
  return out;
}

}  // namespace dislo
