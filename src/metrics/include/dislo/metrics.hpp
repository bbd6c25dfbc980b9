#pragma once
// Distances between an empirical measure and a mean-field density (models.md section 5):
//   w1: Wasserstein-1 on the torus between the normalised measures;
//   bl: the dual bounded-Lipschitz norm ||mu - nu||* (sup-norm plus Lipschitz constant,
//       the paper's ||.||*_{1,inf}), not normalised;
//   hs: the negative Sobolev norm ||mu - nu||_{H^-s}.
// w1 and bl are min-cost flows (LEMON's network simplex) on the H x H node grid of the
// torus with an 8/16/32-neighbour stencil; the measures are first moved to their nearest node
// (an MF density: each cell's exact mass, from its Fourier series, to the cell's node).
// Stated error (docs/ensembles.md): |computed - exact| <= sqrt(2) h + distortion * exact,
// and no binning error at all when both measures live on the nodes (RW against MFeps
// with H = L).

#include <complex>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "dislo/semidiscrete.hpp"

namespace dislo {

// Masses at the nodes (i/H, j/H) of the torus, x-major.
struct GridMeasure {
  int H = 0;
  std::vector<double> mass;
  double total() const;
};

// Atoms of mass w at continuum positions, moved to the nearest node.
GridMeasure bin_points(std::span<const double> x, std::span<const double> y, double w, int H);
// Atoms of mass w at lattice sites (a/L, b/L); exact when H == L.
GridMeasure bin_sites(std::span<const std::int32_t> x, std::span<const std::int32_t> y, int L,
                      double w, int H);
// A density (w.r.t. Lebesgue, or w.r.t. nu_eps for a lattice field) sampled at the N x N
// nodes j/N: each sample carries mass density/N^2 to its nearest H-node (exact ties split
// equally).
GridMeasure bin_density(std::span<const double> density, int N, int H);
// A band-limited periodic density given by its N x N samples (MF's spectral
// representation): the exact integral of its Fourier series over each cell
// [(i - 1/2 + o) h, (i + 1/2 + o) h) x [(j - 1/2 + o) h, (j + 1/2 + o) h), placed at node
// (i, j); offset o = 1/2 gives the cells [i h, (i + 1) h) of a histogram.
GridMeasure cell_masses_spectral(std::span<const double> density, int N, int H, double offset = 0);

class TransportSolver {
 public:
  // stencil: 8, 16 or 32 neighbours per node (lattice vectors (p, q), gcd 1,
  // max(|p|, |q|) <= 1, 2, 3), arc costs = Euclidean length times a factor that centres the
  // graph's distortion (distances within 1 -+ 4.0%, 1.36%, 0.65% of the torus distance).
  explicit TransportSolver(int H, int stencil = 16);
  ~TransportSolver();
  TransportSolver(const TransportSolver&) = delete;
  TransportSolver& operator=(const TransportSolver&) = delete;

  // Wasserstein-1 between a/|a| and b/|b|.
  double w1(const GridMeasure& a, const GridMeasure& b);
  // Dual bounded-Lipschitz norm of a - b (sum norm), exact for the grid problem: the
  // maximum over L of L Phi((1-L)/L) (models.md section 6) of a concave piecewise-linear
  // function, found by cutting planes (each optimal flow gives a tangent line).
  // rel_tol > 0 stops once the maximum is bracketed to that relative width (the value
  // returned is then a lower bound within rel_tol of the grid problem's exact value).
  double bl(const GridMeasure& a, const GridMeasure& b, double rel_tol = 0);
  // Both at once (NaN for one not wanted): when the masses are equal, one min-cost flow
  // gives w1 and bl's first tangent, saving a solve.
  struct Distances {
    double w1 = std::numeric_limits<double>::quiet_NaN();
    double bl = std::numeric_limits<double>::quiet_NaN();
  };
  Distances distances(const GridMeasure& a, const GridMeasure& b, bool want_w1, bool want_bl,
                      double bl_rel_tol);
  int H() const { return H_; }
  // Largest relative deviation |graph distance / torus distance - 1| (0.0136 for the
  // 16-neighbour stencil), measured at construction by Dijkstra from one node.
  double distortion() const { return distortion_; }
  // The factor on Euclidean arc lengths (< 1): an arc along a stencil vector is this much
  // shorter than the torus distance it spans.
  double length_factor() const { return length_factor_; }
  // Certified brackets for the exact distances from grid values (docs/ensembles.md,
  // "Brackets"): the graph is within the distortion of the torus metric, and binning moved
  // each unit of measure a (b) by at most move_a (move_b): h/sqrt(2), or 0 when the measure
  // already lived on the nodes. w1: value of w1(a, b); bl: a lower bound of the grid
  // problem within rel_tol (as bl() returns), masses |a| and |b|.
  Bracket w1_bracket(double value, double move_a, double move_b) const;
  Bracket bl_bracket(double value, double rel_tol, double mass_a, double move_a, double mass_b,
                     double move_b) const;
  // Min-cost-flow solves so far (for the metrics' cost accounting).
  long solves() const { return solves_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int H_;
  double distortion_ = 0;
  double length_factor_ = 1;
  long solves_ = 0;
  // Transport cost and bank mass of the optimal flow of f with bank price lambda.
  std::pair<double, double> solve(const std::vector<double>& f, double lambda);
  // The tangent of g(L) = L Phi((1-L)/L) from an optimal flow: g <= L c + (1 - L) m.
  struct Line {
    double c, m;
    double at(double L) const { return L * c + (1 - L) * m; }
    double slope() const { return c - m; }
  };
  static std::vector<double> difference(const GridMeasure& a, const GridMeasure& b);
  double bl_search(const std::vector<double>& f, std::optional<Line> left_end, double rel_tol);
};

// ||a - b||_{H^-s} from Fourier coefficients on |k_1|, |k_2| <= K: exact coefficients of
// atoms (sum of exponentials) and of node measures. The neglected tail is bounded by
// (|a| + |b|)^2 sum_{|k|_inf > K} (1 + 4 pi^2 |k|^2)^-s, returned by hs_tail_bound.
class SobolevNorm {
 public:
  SobolevNorm(double s, int K);
  // Coefficients of a measure given by atoms of mass w at (x_i, y_i).
  std::vector<std::complex<double>> atoms(std::span<const double> x, std::span<const double> y,
                                          double w) const;
  // Coefficients of a node measure.
  std::vector<std::complex<double>> nodes(const GridMeasure& m) const;
  double distance(const std::vector<std::complex<double>>& a,
                  const std::vector<std::complex<double>>& b) const;
  double tail_bound(double total_mass) const;
  int K() const { return K_; }
  double s() const { return s_; }

 private:
  double s_;
  int K_;
  std::vector<double> weight_;  // (1 + 4 pi^2 |k|^2)^-s on the (2K+1)^2 modes
};

}  // namespace dislo
