#include "dislo/observers.hpp"

#include <fftw3.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "dislo/progress.hpp"
#include "dislo/statistics.hpp"

namespace dislo {

namespace {

constexpr double kMaxDistance = 0.70710678118654752;  // sqrt(2)/2, the torus diameter
// Pair histograms use every pair up to this many, else the pairs (i, i + o mod n),
// o = 1..m (an unbiased sample: particles of one sign are exchangeable).
constexpr double kMaxPairs = 4e6;
// bl is certified to 1e-2 relative (a lower bound): below the transport graph's own 1.36%
// distortion and the binning error sqrt(2) h (docs/ensembles.md).
constexpr double kBlTolerance = 1e-2;

// Exact Fourier coefficients on |k|_inf <= K of the node measure rho_j / N^2 (FFT).
std::vector<std::complex<double>> field_coefficients(const std::vector<double>& rho, int N, int K) {
  std::vector<double> in(rho);
  const int Nc = N / 2 + 1;
  std::vector<std::complex<double>> out(std::size_t(N) * Nc);
  fftw_plan plan = fftw_plan_dft_r2c_2d(N, N, in.data(),
                                        reinterpret_cast<fftw_complex*>(out.data()), FFTW_ESTIMATE);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  // The coefficients of a node measure are N-periodic in k: modes beyond N/2 (K may
  // exceed it on small lattices) are the aliases; the others are conjugates (real data).
  auto mode = [&](int a, int b) {
    int bm = b % N;  // the alias of b in [-N/2, N/2]
    if (bm > N / 2) bm -= N;
    if (bm < -(N / 2)) bm += N;
    if (bm >= 0) return out[std::size_t((a % N + N) % N) * Nc + bm];
    return std::conj(out[std::size_t((-a % N + N) % N) * Nc + (-bm)]);
  };
  const int W = 2 * K + 1;
  std::vector<std::complex<double>> c(std::size_t(W) * W);
  const double scale = 1.0 / (double(N) * N);
  for (int a = -K; a <= K; ++a)
    for (int b = -K; b <= K; ++b) c[std::size_t(a + K) * W + (b + K)] = mode(a, b) * scale;
  return c;
}

// The mean field's density on the law's cells: for MF (spectral) the exact mean of its
// Fourier series over each cell [i/G, (i+1)/G)^2; for MFeps its values at the sites (the
// law's cells are the sites).
std::vector<double> law_reference(const std::vector<double>& rho, const Trajectory& tr, int G) {
  if (tr.lattice) {
    if (tr.N != G) throw std::logic_error("LawObserver: lattice law on another lattice");
    return rho;
  }
  std::vector<double> density = cell_masses_spectral(rho, tr.N, G, 0.5).mass;
  for (double& d : density) d *= double(G) * G;
  return density;
}

// The mean field's measure on the metric grid.
GridMeasure reference_measure(const Trajectory& tr, const std::vector<double>& field, int H) {
  return tr.lattice ? bin_density(field, tr.N, H) : cell_masses_spectral(field, tr.N, H);
}

// Atoms of sign s (weight 1/n each) on the metric grid.
GridMeasure sign_atoms(const ReplicaView& p, long lo, long hi, int H) {
  const std::size_t count = std::size_t(hi - lo);
  const double w = 1.0 / double(p.n);
  return p.on_lattice() ? bin_sites(p.ix.subspan(std::size_t(lo), count),
                                    p.iy.subspan(std::size_t(lo), count), p.L, w, H)
                        : bin_points(p.x.subspan(std::size_t(lo), count),
                                     p.y.subspan(std::size_t(lo), count), w, H);
}

// Atoms of sign s (weight 1/n each) at their positions, or at their sites (a/L, b/L).
Atoms particle_atoms(const ReplicaView& p, long lo, long hi) {
  Atoms a;
  const double w = 1.0 / double(p.n);
  for (long i = lo; i < hi; ++i) {
    a.x.push_back(p.on_lattice() ? double(p.ix[std::size_t(i)]) / p.L : p.x[std::size_t(i)]);
    a.y.push_back(p.on_lattice() ? double(p.iy[std::size_t(i)]) / p.L : p.y[std::size_t(i)]);
    a.w.push_back(w);
  }
  return a;
}

// A lattice field (density w.r.t. nu_eps) as the masses rho/L^2 at its sites.
CellDensity lattice_sites(const std::vector<double>& rho, int L) {
  CellDensity d{L, std::vector<double>(rho.size()), 0.0};
  for (std::size_t k = 0; k < rho.size(); ++k) d.mass[k] = rho[k] / (double(L) * L);
  return d;
}

CertifiedOptions certified_options(const MetricsParams& params, bool want_bl) {
  CertifiedOptions o;
  o.tolerance = params.tolerance;
  o.want_bl = want_bl;
  return o;
}

// Sums v over the ranks onto rank 0 (other ranks are left empty).
void reduce_to_root(std::vector<std::int64_t>& v, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<std::int64_t> sum(rank == 0 ? v.size() : 0);
  MPI_Reduce(v.data(), sum.data(), int(v.size()), MPI_INT64_T, MPI_SUM, 0, comm);
  v.swap(sum);
}

void restore_tally(std::vector<std::int64_t>& tally, const std::vector<std::int64_t>& saved) {
  if (saved.size() != tally.size())
    throw std::runtime_error("ensemble: the saved state does not fit this study");
  tally = saved;
}

// The particles of sign s: [0, n_plus) or [n_plus, n).
std::pair<long, long> sign_range(const ReplicaView& p, int s) {
  return s == 0 ? std::pair{0L, p.n_plus} : std::pair{p.n_plus, p.n};
}

}  // namespace

// ---------------------------------------------------------------- CertifiedReference

CertifiedReference::CertifiedReference(const Trajectory& tr, const CertifiedOptions& options)
    : tr_(&tr), options_(options) {
  if (!tr.lattice) return;
  for (int s = 0; s < 2; ++s)
    for (const auto& field : s == 0 ? tr.plus : tr.minus)
      sites_[s].push_back(lattice_sites(field, tr.N));
}

// MF's density as its Fourier series; MFeps's sites as point masses.
CertifiedDistances CertifiedReference::distances(const Atoms& atoms, int s, int t) const {
  if (tr_->lattice) return certified_distances_to_sites(atoms, sites_[s][std::size_t(t)], options_);
  const auto& field = s == 0 ? tr_->plus[std::size_t(t)] : tr_->minus[std::size_t(t)];
  return certified_distances(atoms, field, tr_->N, options_);
}

// ---------------------------------------------------------------- DistanceObserver

DistanceObserver::DistanceObserver(const MetricPlan& plan, const MetricsParams& params,
                                   const std::vector<const Trajectory*>& comparisons,
                                   int group_rank)
    : plan_(&plan),
      H_(params.grid),
      group_rank_(group_rank),
      solver_(params.grid, params.stencil),
      hs_(params.hs_order, params.hs_modes),
      grid_(2 * comparisons.size()),
      coefficients_(2 * comparisons.size()),
      h_move_(std::numbers::sqrt2 / 2 / params.grid),
      certified_(params.method == "certified") {
  for (std::size_t c = 0; c < comparisons.size(); ++c) {
    const Trajectory& tr = *comparisons[c];
    exact_field_.push_back(tr.lattice && tr.N == H_);
    if (certified_)
      certified_references_.emplace_back(tr, certified_options(params, plan.wants_bl()));
    for (int t = 0; t < plan.times(); ++t)
      for (int s = 0; s < 2; ++s) {
        const auto& field = s == 0 ? tr.plus[t] : tr.minus[t];
        if (!certified_) grid_[2 * c + s].push_back(reference_measure(tr, field, H_));
        coefficients_[2 * c + s].push_back(plan.wants_hs()
                                               ? field_coefficients(field, tr.N, params.hs_modes)
                                               : std::vector<std::complex<double>>{});
      }
  }
}

void DistanceObserver::observe(const Observation& o) {
  for (int s = 0; s < 2; ++s) observe_sign(o, s);
}

void DistanceObserver::observe_sign(const Observation& o, int s) {
  const MetricPlan& plan = *plan_;
  const ReplicaView& p = o.particles;
  const auto [lo, hi] = sign_range(p, s);
  const std::size_t count = std::size_t(hi - lo);
  const std::span<const double> px = p.x.subspan(std::size_t(lo), count);
  const std::span<const double> py = p.y.subspan(std::size_t(lo), count);
  const double w = 1.0 / double(p.n);
  GridMeasure atoms;
  if (plan.transport() && !certified_ && plan.owns_any(group_rank_, s, 0))
    atoms = sign_atoms(p, lo, hi, H_);
  std::vector<std::complex<double>> coefficients;
  if (plan.wants_hs() && plan.owns_any(group_rank_, s, plan.hs_part()))
    coefficients = hs_.atoms(px, py, w);
  const int nk = int(plan.kinds().size());
  // Sites already on the nodes move nowhere (RW with metrics.grid = L).
  const bool exact_atoms = p.on_lattice() && p.L == H_;
  for (int c = 0; c < plan.comparisons(); ++c) {
    const std::size_t ref = std::size_t(2 * c + s);
    TransportSolver::Distances d;
    CertifiedDistances cd;
    if (plan.transport() && plan.owner(s, c, 0) == group_rank_) {
      if (certified_)
        cd = certified_references_[std::size_t(c)].distances(particle_atoms(p, lo, hi), s, o.t);
      else
        d = solver_.distances(atoms, grid_[ref][o.t], plan.wants_w1(), plan.wants_bl(),
                              kBlTolerance);
    }
    for (int k = 0; k < nk; ++k) {
      if (plan.owner(s, c, plan.part(k)) != group_rank_) continue;
      const std::string& kind = plan.kinds()[k];
      const int m = plan.metric(c, k, s);
      if (kind == "hs") {
        o.row[plan.slot(m, o.t)] = hs_.distance(coefficients, coefficients_[ref][o.t]);
        continue;
      }
      if (certified_) {
        const Bracket b = kind == "w1" ? cd.w1 : cd.bl;
        o.row[plan.slot(m, o.t)] = b.mid();
        o.row[plan.slot(plan.bracket(m, 0), o.t)] = b.lower;
        o.row[plan.slot(plan.bracket(m, 1), o.t)] = b.upper;
        continue;
      }
      const GridMeasure& field = grid_[ref][o.t];
      const double move_atoms = exact_atoms ? 0.0 : h_move_,
                   move_field = exact_field_[c] ? 0.0 : h_move_;
      const Bracket b = kind == "w1" ? solver_.w1_bracket(d.w1, move_atoms, move_field)
                                     : solver_.bl_bracket(d.bl, kBlTolerance, atoms.total(),
                                                          move_atoms, field.total(), move_field);
      o.row[plan.slot(m, o.t)] = kind == "w1" ? d.w1 : d.bl;
      o.row[plan.slot(plan.bracket(m, 0), o.t)] = b.lower;
      o.row[plan.slot(plan.bracket(m, 1), o.t)] = b.upper;
    }
  }
}

// ---------------------------------------------------------------- CoupledDistanceObserver

CoupledDistanceObserver::CoupledDistanceObserver(const MetricPlan& plan,
                                                 const MetricsParams& params,
                                                 const Trajectory& reference, int first_metric)
    : plan_(&plan),
      H_(params.grid),
      first_metric_(first_metric),
      solver_(params.grid, params.stencil),
      grid_(2),
      h_move_(std::numbers::sqrt2 / 2 / params.grid),
      exact_field_(reference.lattice && reference.N == params.grid) {
  if (params.method == "certified") {
    certified_.emplace(reference, certified_options(params, true));
    return;
  }
  for (int t = 0; t < plan.times(); ++t)
    for (int s = 0; s < 2; ++s)
      grid_[s].push_back(
          reference_measure(reference, s == 0 ? reference.plus[t] : reference.minus[t], H_));
}

void CoupledDistanceObserver::observe(const Observation& o) {
  const ReplicaView& p = o.coupled;
  if (p.n == 0) return;
  for (int s = 0; s < 2; ++s) {
    const auto [lo, hi] = sign_range(p, s);
    if (certified_) {
      o.row[plan_->slot(first_metric_ + s, o.t)] =
          certified_->distances(particle_atoms(p, lo, hi), s, o.t).bl.upper;
      continue;
    }
    const GridMeasure atoms = sign_atoms(p, lo, hi, H_);
    const GridMeasure& field = grid_[s][o.t];
    const double value = solver_.distances(atoms, field, false, true, kBlTolerance).bl;
    const bool exact_atoms = p.on_lattice() && p.L == H_;
    o.row[plan_->slot(first_metric_ + s, o.t)] =
        solver_
            .bl_bracket(value, kBlTolerance, atoms.total(), exact_atoms ? 0.0 : h_move_,
                        field.total(), exact_field_ ? 0.0 : h_move_)
            .upper;
  }
}

// ---------------------------------------------------------------- LawObserver

LawObserver::LawObserver(int G, long n, const Trajectory& reference)
    : G_(G), nt_(int(reference.plus.size())), n_(n), counts_(std::size_t(G) * G) {
  for (int s = 0; s < 2; ++s) {
    for (int t = 0; t < nt_; ++t)
      reference_[s].push_back(
          law_reference(s == 0 ? reference.plus[t] : reference.minus[t], reference, G));
    law_[s].assign(std::size_t(nt_) * G * G, 0);
    law_sq_[s].assign(std::size_t(nt_) * G * G, 0);
  }
}

void LawObserver::observe(const Observation& o) {
  const ReplicaView& p = o.particles;
  for (int s = 0; s < 2; ++s) {
    const auto [lo, hi] = sign_range(p, s);
    std::fill(counts_.begin(), counts_.end(), 0);
    for (long i = lo; i < hi; ++i) {
      const int a = p.on_lattice() ? p.ix[i] : std::min(G_ - 1, int(p.x[i] * G_));
      const int b = p.on_lattice() ? p.iy[i] : std::min(G_ - 1, int(p.y[i] * G_));
      ++counts_[std::size_t(a) * G_ + b];
    }
    const std::size_t off = std::size_t(o.t) * G_ * G_;
    for (std::size_t q = 0; q < counts_.size(); ++q) {
      law_[s][off + q] += counts_[q];
      law_sq_[s][off + q] += counts_[q] * counts_[q];
    }
  }
}

void LawObserver::reduce(MPI_Comm comm) {
  for (int s = 0; s < 2; ++s) {
    reduce_to_root(law_[s], comm);
    reduce_to_root(law_sq_[s], comm);
  }
}

void LawObserver::save(EnsembleState& state) const {
  for (int s = 0; s < 2; ++s) {
    state.law[s] = law_[s];
    state.law_sq[s] = law_sq_[s];
  }
}

void LawObserver::restore(const EnsembleState& state) {
  for (int s = 0; s < 2; ++s) {
    restore_tally(law_[s], state.law[s]);
    restore_tally(law_sq_[s], state.law_sq[s]);
  }
}

void LawObserver::finish(long replicas, EnsembleResult& result) const {
  result.law_grid = G_;
  for (int s = 0; s < 2; ++s) finish_sign(s, replicas, result);
}

// Densities w.r.t. nu (SDE cells of area 1/G^2) or nu_eps (RW sites, eps^2), their
// standard errors, their L2 distance to the mean field with its standard error, and the
// test of all cells against the mean field.
void LawObserver::finish_sign(int s, long R, EnsembleResult& result) const {
  const double area = 1.0 / (double(G_) * G_);
  const double scale = 1.0 / (double(n_) * area);  // one particle's density in a cell
  const std::size_t cells = std::size_t(G_) * G_;
  auto& law = s == 0 ? result.law_plus : result.law_minus;
  law.resize(std::size_t(nt_) * cells);
  result.law_stderr[s].resize(law.size());
  result.law_reference[s].resize(law.size());
  for (auto* v : {&result.law_l2[s], &result.law_l2_stderr[s], &result.law_chi2[s],
                  &result.law_cells[s], &result.law_p[s]})
    v->assign(nt_, 0.0);
  std::vector<double> diff(cells), var(cells);
  for (int t = 0; t < nt_; ++t) {
    double d2 = 0;
    for (std::size_t q = 0; q < cells; ++q) {
      const std::size_t k = std::size_t(t) * cells + q;
      const double m1 = double(law_[s][k]) / double(R), m2 = double(law_sq_[s][k]) / double(R);
      law[k] = m1 * scale;
      result.law_reference[s][k] = reference_[s][t][q];
      diff[q] = law[k] - reference_[s][t][q];
      d2 += area * diff[q] * diff[q];
      // Variance of the replica mean of the per-replica density in this cell.
      var[q] = R > 1 ? (m2 - m1 * m1) * double(R) / double(R - 1) * scale * scale / double(R) : 0.0;
      result.law_stderr[s][k] = std::sqrt(var[q]);
    }
    const CellTest test = cell_mean_test(diff, var, R);
    result.law_chi2[s][t] = test.stat;
    result.law_cells[s][t] = test.cells;
    result.law_p[s][t] = test.p;
    const double D = std::sqrt(d2);
    double se2 = 0;
    if (D > 0)
      for (std::size_t q = 0; q < cells; ++q) se2 += std::pow(area * diff[q] / D, 2) * var[q];
    result.law_l2[s][t] = D;
    result.law_l2_stderr[s][t] = std::sqrt(se2);
  }
}

// ---------------------------------------------------------------- PairObserver

PairObserver::PairObserver(int bins, int times) : bins_(bins), nt_(times) {
  for (auto& p : pairs_) p.assign(std::size_t(times) * bins, 0);
}

void PairObserver::observe(const Observation& o) {
  const ReplicaView& p = o.particles;
  const long n = p.n, n_plus = p.n_plus;
  const double all_pairs = 0.5 * double(n) * double(n - 1);
  const long offsets = all_pairs <= kMaxPairs ? n / 2 : std::max(1L, long(kMaxPairs / double(n)));
  const double bins_per_length = bins_ / kMaxDistance;
  std::int64_t* tally[2] = {&pairs_[0][std::size_t(o.t) * bins_],
                            &pairs_[1][std::size_t(o.t) * bins_]};
  auto add_pair = [&](long i, long j) {
    // Positions lie in [0, 1): the minimum image by comparisons (round() is a call).
    double dx = p.x[i] - p.x[j], dy = p.y[i] - p.y[j];
    dx += double(dx < -0.5) - double(dx > 0.5);
    dy += double(dy < -0.5) - double(dy > 0.5);
    // sqrt, not hypot: no overflow is possible here, and it is several times faster.
    const int bin = std::min(bins_ - 1, int(std::sqrt(dx * dx + dy * dy) * bins_per_length));
    ++tally[((i < n_plus) == (j < n_plus)) ? 1 : 0][bin];
  };
  for (long off = 1; off <= offsets; ++off) {
    // With n even, offset n/2 pairs each couple twice: keep one.
    const long last = 2 * off == n ? n / 2 : n;
    for (long i = 0; i < last; ++i) add_pair(i, i + off < n ? i + off : i + off - n);
  }
}

void PairObserver::reduce(MPI_Comm comm) {
  for (auto& p : pairs_) reduce_to_root(p, comm);
}

void PairObserver::save(EnsembleState& state) const {
  for (int cls = 0; cls < 2; ++cls) state.pairs[cls] = pairs_[cls];
}

void PairObserver::restore(const EnsembleState& state) {
  for (int cls = 0; cls < 2; ++cls) restore_tally(pairs_[cls], state.pairs[cls]);
}

// Densities of the pair distance on [0, sqrt(2)/2] by class (NaN without pairs).
void PairObserver::finish(long /*replicas*/, EnsembleResult& result) const {
  const double dr = kMaxDistance / bins_;
  result.r.resize(bins_);
  for (int b = 0; b < bins_; ++b) result.r[b] = (b + 0.5) * dr;
  for (int cls = 0; cls < 2; ++cls) {
    auto& out = cls == 0 ? result.pair_opposite : result.pair_equal;
    out.resize(std::size_t(nt_) * bins_);
    for (int t = 0; t < nt_; ++t) {
      const std::int64_t* h = &pairs_[cls][std::size_t(t) * bins_];
      double total = 0;
      for (int b = 0; b < bins_; ++b) total += double(h[b]);
      for (int b = 0; b < bins_; ++b)
        out[std::size_t(t) * bins_ + b] =
            total > 0 ? double(h[b]) / (total * dr) : std::numeric_limits<double>::quiet_NaN();
    }
  }
}

// ---------------------------------------------------------------- ProgressObserver

ProgressObserver::ProgressObserver(const char* model, long max_replicas, LaterPhases later,
                                   const double* metrics_seconds, int ranks)
    : model_(model),
      max_replicas_(max_replicas),
      later_(std::move(later)),
      metrics_seconds_(metrics_seconds),
      ranks_(std::max(ranks, 1)),
      start_(Clock::now()),
      last_(start_) {}

void ProgressObserver::restore(const EnsembleState& state) {
  before_ = state.done + long(state.partial.size());
  start_ = last_ = Clock::now();
}

std::string ProgressObserver::line(std::int64_t started, double seconds) const {
  const long here = long(started) - before_;  // started by this process
  if (here <= 0) return {};
  const double rate = double(here) / std::max(seconds, 1e-9);
  const double eta = double(max_replicas_ - started) / rate;
  std::string text = fmt::format(
      "{:>5}: {} of {} replicas started ({:.0f}%), {:.2f}/s, ETA {:.0f} s", model_, started,
      max_replicas_, 100.0 * double(started) / double(max_replicas_), rate, eta);
  if (!later_.names.empty()) {
    const double metrics_per_replica =
        metrics_seconds_ && mine_ > 0 ? *metrics_seconds_ / double(mine_) : 0.0;
    const double later = later_.seconds + double(later_.replicas) * metrics_per_replica / ranks_;
    text += fmt::format("; run ETA ~{:.0f} s ({} forecast)", eta + later, later_.names);
  }
  return text;
}

void ProgressObserver::observe(const Observation& o) {
  if (o.t == 0) ++mine_;
  if (o.t != 0 || seconds_since(last_) < 5) return;
  last_ = Clock::now();
  if (const std::string text = line(o.replica + 1, seconds_since(start_)); !text.empty())
    progress("{}\n", text);
}

}  // namespace dislo
