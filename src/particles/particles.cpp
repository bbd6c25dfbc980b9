#include "dislo/particles.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dislo {

double mass_discrepancy(const Signs& signs, double mass_plus) {
  const double n = static_cast<double>(signs.n());
  const double fp = static_cast<double>(signs.n_plus) / n;
  return std::abs(fp - mass_plus) + std::abs((1 - fp) - (1 - mass_plus));
}

namespace {
std::vector<double> site_cdf(const InitialDensity& rho, int sign, int L) {
  std::vector<double> cdf(std::size_t(L) * L);
  double acc = 0;
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j) {
      acc += rho(sign, double(i) / L, double(j) / L);
      cdf[std::size_t(i) * L + j] = acc;
    }
  if (acc > 0)
    for (auto& c : cdf) c /= acc;
  return cdf;
}
}  // namespace

InitialSampler::InitialSampler(const InitialParams& initial, const ModelParams& model,
                               int lattice_L)
    : params_(initial), model_(model), density_(initial), L_(lattice_L) {
  bound_plus_ = density_.upper_bound(+1);
  bound_minus_ = density_.upper_bound(-1);
  if (L_ > 0) {
    cdf_plus_ = site_cdf(density_, +1, L_);
    cdf_minus_ = site_cdf(density_, -1, L_);
  }
}

Signs InitialSampler::signs(const CounterRng& rng) const {
  Signs s;
  const long n = model_.n;
  if (model_.n_plus) {
    s.n_plus = *model_.n_plus;
  } else {
    for (long i = 0; i < n; ++i)
      if (CounterRng::unit(rng.draw(std::uint64_t(i), 0, Stream::initial_sign)[0]) <=
          params_.mass_plus)
        ++s.n_plus;
  }
  s.b.assign(std::size_t(n), -1);
  std::fill(s.b.begin(), s.b.begin() + s.n_plus, +1);
  return s;
}

void InitialSampler::continuum_one(const CounterRng& rng, int sign, long i, double& x,
                                   double& y) const {
  // Counter (particle, attempt): each particle's draw is independent of every other's.
  if (params_.kind == InitialKind::blobs) {
    const auto& list = sign > 0 ? params_.blobs_plus : params_.blobs_minus;
    double total = 0;
    for (const auto& b : list) total += b.weight;
    const auto w = rng.draw(std::uint64_t(i), 0, Stream::initial_position);
    double pick = CounterRng::unit(w[0]) * total;
    std::size_t k = 0;
    while (k + 1 < list.size() && pick > list[k].weight) pick -= list[k++].weight;
    // A wrapped normal is exactly the periodised gaussian blob.
    const auto z = CounterRng::normals(w[1], w[2]);
    x = list[k].centre[0] + list[k].width * z[0];
    y = list[k].centre[1] + list[k].width * z[1];
    x -= std::floor(x);
    y -= std::floor(y);
    return;
  }
  const double bound = sign > 0 ? bound_plus_ : bound_minus_;
  for (std::uint64_t attempt = 0;; ++attempt) {
    const auto w = rng.draw(std::uint64_t(i), attempt, Stream::initial_position);
    x = 1 - CounterRng::unit(w[0]);  // [0, 1)
    y = 1 - CounterRng::unit(w[1]);
    if (CounterRng::unit(w[2]) * bound <= density_(sign, x, y)) return;
    if (attempt > 100000000)
      throw std::runtime_error("initial sampling: rejection sampler does not accept");
  }
}

void InitialSampler::continuum(const CounterRng& rng, const Signs& signs, std::vector<double>& x,
                               std::vector<double>& y) const {
  const long n = signs.n();
  x.resize(std::size_t(n));
  y.resize(std::size_t(n));
  for (long i = 0; i < n; ++i) continuum_one(rng, signs.b[std::size_t(i)], i, x[i], y[i]);
}

void InitialSampler::lattice(const CounterRng& rng, const Signs& signs,
                             std::vector<std::int32_t>& x, std::vector<std::int32_t>& y) const {
  if (L_ <= 0) throw std::logic_error("InitialSampler: built without a lattice");
  const long n = signs.n();
  x.resize(std::size_t(n));
  y.resize(std::size_t(n));
  for (long i = 0; i < n; ++i) {
    const auto& cdf = signs.b[std::size_t(i)] > 0 ? cdf_plus_ : cdf_minus_;
    const double u =
        1 - CounterRng::unit(rng.draw(std::uint64_t(i), 0, Stream::initial_position)[0]);
    // First site whose cumulative weight exceeds u: P(site) = its weight exactly.
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    const auto site = std::min<std::ptrdiff_t>(it - cdf.begin(), std::ptrdiff_t(cdf.size()) - 1);
    x[i] = static_cast<std::int32_t>(site / L_);
    y[i] = static_cast<std::int32_t>(site % L_);
  }
}

}  // namespace dislo
