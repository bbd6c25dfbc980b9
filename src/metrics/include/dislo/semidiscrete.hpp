#pragma once
// Certified w1 and bl between atoms and a density on the unit torus (docs/ensembles.md,
// "Certified brackets"). Every value is a bracket [lower, upper] that contains the exact
// distance between the exact objects:
//   lower: Kantorovich-Rubinstein with the c-transform f(x) = min_i (|x - x_i| - psi_i),
//          1-Lipschitz on the torus for any weights psi, integrated exactly over the cells
//          of an adaptive quadtree on which its minimiser is certified; on leaves that
//          several cones share, bounded below by the lowest cone plus the lower envelope
//          of the others' tangent planes less a curvature margin (second order);
//   upper: the cost of a feasible plan, evaluated exactly: the partition of the density
//          by that minimiser (closed-form integrals of |x - x_i| over rectangles and
//          clipped squares) plus a min-cost flow that evens out the partition's mass
//          errors (moves between atoms and transfers of shared leaves' parts), or the
//          first network flow's own cost, whichever is lower.
// The weights psi come from a min-cost flow between the density's cells and the atoms
// (LEMON's network simplex), then damped Newton rounds on the partition's masses.
// A density given by its Fourier series enters as its exact cell means on a fine grid;
// what the piecewise-constant replacement moves (bounded through each cell's exact first
// moments and the series' Hessian) is added to both sides.

#include <limits>
#include <span>
#include <vector>

namespace dislo {

struct Bracket {
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  double mid() const { return 0.5 * (lower + upper); }
  // (upper - lower) / upper; 0 for an empty bracket at 0.
  double relative_width() const { return upper > 0 ? (upper - lower) / upper : 0.0; }
};

// The integral of |x| over the rectangle [x0, x1] x [y0, y1] (closed form, any signs).
double distance_integral(double x0, double x1, double y0, double y1);
// Mean distance from a square's centre to its points, per unit side: (sqrt 2 + asinh 1)/6.
inline constexpr double kMeanDistanceToCentre = 0.38259785823210635;

// A density that is constant on each cell [i/M, (i+1)/M) x [j/M, (j+1)/M): mass[i*M + j]
// is the cell's mass. error bounds W1 (unnormalised transport cost) between the density
// it stands for and this one (0 when it is exact).
struct CellDensity {
  int M = 0;
  std::vector<double> mass;
  double error = 0;
  double total() const;
};
// The exact cell masses of the band-limited density given by N x N samples at j/N (MF's
// representation), with error = sum over cells of |m1_x| + |m1_y| (the cells' exact
// first moments about their centres) + sqrt(2) H h^3, H = sum (2 pi |k|)^2 |c_k|.
CellDensity cell_density_from_fourier(std::span<const double> samples, int N, int M);
// Point masses w_i at (x_i, y_i) in [0, 1)^2; equal positions may repeat.
struct Atoms {
  std::vector<double> x, y, w;
  double total() const;
};

struct CertifiedDistances {
  Bracket w1, bl;
  int grid = 0;              // the cells of the flow
  int depth = 0;             // quadtree levels below them
  int rounds = 0;            // weight corrections done
  double density_error = 0;  // the density's piecewise-constant replacement, normalised
};

struct CertifiedOptions {
  double tolerance = 0.02;  // target relative width of the w1 bracket
  bool want_bl = true;
  int min_grid = 32;  // the flow's cells: a power of two >= max(min_grid, 2 sqrt(n))
  int max_grid = 1024;
  int max_rounds = 30;          // weight corrections
  int max_density_grid = 2048;  // for a Fourier density: its cells, refined as needed
};

// w1 between the normalised measures, bl of (atoms - density) unnormalised (sum norm,
// models.md section 5). The density's grid M must be a power of two; it is refined
// (by its own cells, exactly) when the flow needs more cells than it has.
CertifiedDistances certified_distances(const Atoms& atoms, const CellDensity& density,
                                       const CertifiedOptions& options = {});
// Against point masses at the sites (i/L, j/L) of an L x L lattice (MFeps's measure):
// sites.mass[i * L + j] is the mass at site (i, j), L = sites.M (any size). The
// weights of the semi-discrete problem with each site's mass spread over its cell give
// the bracket for the sites themselves: f on both supports below, and above the plan
// that sends each site to f's minimiser, with a min-cost flow for the sites near a tie
// and the atoms' surplus.
CertifiedDistances certified_distances_to_sites(const Atoms& atoms, const CellDensity& sites,
                                                const CertifiedOptions& options = {});
// Between two point sets (w1 of the normalised sets, bl of a - b): exact w1 by a min-cost
// flow on all pairs (at most 4e7), bl bracketed as above. Throws std::invalid_argument
// beyond that size.
CertifiedDistances certified_distances(const Atoms& a, const Atoms& b,
                                       const CertifiedOptions& options = {});
// Against the band-limited density of N x N samples (MF's representation): its cells are
// refined until they cost at most an eighth of the tolerance.
CertifiedDistances certified_distances(const Atoms& atoms, std::span<const double> samples, int N,
                                       const CertifiedOptions& options = {});

// The closed forms behind the quadtree's shared leaves, exposed for their tests.
namespace semidiscrete_detail {
// The cone |x - (x, y)| - psi (torus distance).
struct Cone {
  double x, y, psi;
};
// A lower bound of the integral of min over the cones over the square [x0, x0 + s)^2:
// exact where one cone is lowest everywhere, within second order of the leaf's size
// otherwise (tangent planes with a curvature margin).
double shared_leaf_lower(double x0, double y0, double s, std::span<const Cone> cones);
// The integral of |x - p| over the part of the square [x0, x0 + s)^2 where
// n . (x - centre) < t (the square must lie on one side of p's cut locus).
double clipped_square_distance(double x0, double y0, double s, double px, double py, double nx,
                               double ny, double t);
// The share of the square [-s/2, s/2]^2 where n . u < t (the plan's split of a shared
// leaf), and its rate d share / dt (the Newton couplings).
struct Share {
  double share, rate;
};
Share half_square_share(double s, double nx, double ny, double t);
}  // namespace semidiscrete_detail

}  // namespace dislo
