#pragma once
// Interaction forces of n signed particles on the torus (models.md eq. 6-7):
//   F_i = -(b_i/n) sum_{j != i} b_j grad V_delta(x_i - x_j).
// Two methods behind one interface: a direct O(n^2) pair sum and a particle-mesh
// (smooth particle-mesh Ewald style) O(n + M^2 log M) method.

#include <mpi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dislo/potential.hpp"
#include "dislo/spectral.hpp"

namespace dislo {
namespace detail {
struct PairTables;
}

// grad V_delta at any point of the torus, to 1e-8 relative to max |grad V_delta|.
// grad V_delta(x) = -(1/(2 pi)) x M(|x|)/|x|^2 (the free-space field of the radial
// mollifier, M its enclosed mass, x the nearest image) + grad S(x), where S is smooth on
// the scale of the cell (its singularities are the images at distance >= 1/2); S is
// tabulated from the exact FFT table and interpolated by tensor cubic Lagrange
// polynomials (error h^4 |d^4 S| / 24 * 9/16, see docs/particles.md).
class PairGradient {
 public:
  PairGradient(const Kernel& kernel, int table_size = 256);
  // d = nearest-image displacement, |d_k| <= 1/2. Returns grad V_delta(d).
  std::array<double, 2> operator()(double dx, double dy) const;
  // Which displacement gradients() evaluates: x0 - x_k (from) or x_k - x0 (towards).
  enum class Direction { from, towards };
  // grad V_delta of the nearest-image displacements between (x0, y0) and (x_k, y_k),
  // k < count, into gx, gy: the same bits as operator() on each pair, vectorised (AVX2
  // where the processor has it, chosen at run time; no reassociation, so every processor
  // gives the same bits).
  void gradients(double x0, double y0, const double* x, const double* y, std::size_t count,
                 Direction direction, double* gx, double* gy) const;
  double max_gradient() const { return max_grad_; }
  // Bound on the interpolation error (relative to max_gradient), from the measured fourth
  // differences of the table.
  double error_bound() const { return error_bound_; }
  int table_size() const { return G_; }

 private:
  KernelKind kind_;
  double delta_;
  int G_;  // table spacing 1/G
  int W_;  // stored points per side (G + 1 + 2 * pad), covering [-1/2 - pad/G, ...]
  static constexpr int pad_ = 3;
  // Smooth remainder of (dV/dx1, dV/dx2), interleaved per node, row-major in x1.
  std::vector<double> S_;
  // Radial factor g(s) = M(sqrt(s))/s, tabulated (bump, gaussian) on s in [0, g_cut_) and
  // 1/s beyond: bump's M is 1 there, gaussian's differs from 1 by exp(-40) < 5e-18.
  std::vector<double> g_table_;
  double g_ds_ = 0, g_cut_ = 0;
  double max_grad_ = 0, error_bound_ = 0;
  double radial(double s) const;  // g(s)
  detail::PairTables tables() const;
};

// Which force method, and why.
enum class ForceMethod { direct, pm };
const char* to_string(ForceMethod m);

// Particles [lo, hi) of n: the block of `part` of `parts` (ranks of a replica group).
struct ParticleBlock {
  std::size_t lo = 0, hi = 0;
  static ParticleBlock of(std::size_t n, int part, int parts) {
    return {n * std::size_t(part) / std::size_t(parts),
            n * std::size_t(part + 1) / std::size_t(parts)};
  }
};

// Forces are the same bits whichever block of particles a rank asks for: a replica split
// over the ranks of a group (run.ranks_per_replica) moves exactly as on one rank.
class ForceField {
 public:
  virtual ~ForceField() = default;
  // Forces F_i on particles i in `block` (fx, fy: all n entries, only the block written),
  // from the n positions (in [0, 1)^2), signs +-1, mean-field 1/n scaling. Collective over
  // the field's communicator (particle mesh), each rank passing its own block; positions
  // outside the block are read only when needs_all_positions().
  virtual void compute(std::span<const double> x, std::span<const double> y, std::span<const int> b,
                       ParticleBlock block, std::span<double> fx, std::span<double> fy) = 0;
  // Every particle's force.
  void compute(std::span<const double> x, std::span<const double> y, std::span<const int> b,
               std::span<double> fx, std::span<double> fy) {
    compute(x, y, b, ParticleBlock{0, x.size()}, fx, fy);
  }
  virtual ForceMethod method() const = 0;
  virtual bool needs_all_positions() const = 0;
  // Estimated relative RMS force error (direct: the table's bound).
  virtual double error_estimate() const = 0;
};

// All pairs: each unordered pair once for the whole set; for a block, full rows that add
// the same terms in the same order (twice the pair evaluations, identical bits). The pair
// gradients of a row are evaluated in vectorised batches (PairGradient::gradients) and
// then summed in order; Loop::scalar evaluates them one pair at a time (the same bits; the
// benchmark's baseline).
class DirectForce final : public ForceField {
 public:
  enum class Loop { vectorised, scalar };
  // The pair table is built at strength 1 (its error bound is relative); the strength
  // scales the sum.
  explicit DirectForce(const Kernel& kernel, Loop loop = Loop::vectorised)
      : grad_(kernel.unit()), strength_(kernel.strength()), loop_(loop) {}
  using ForceField::compute;
  void compute(std::span<const double> x, std::span<const double> y, std::span<const int> b,
               ParticleBlock block, std::span<double> fx, std::span<double> fy) override;
  ForceMethod method() const override { return ForceMethod::direct; }
  bool needs_all_positions() const override { return true; }
  double error_estimate() const override { return grad_.error_bound(); }
  // At strength 1.
  const PairGradient& gradient() const { return grad_; }
  double strength() const { return strength_; }

 private:
  PairGradient grad_;
  double strength_;
  Loop loop_;
  std::vector<double> gx_, gy_;  // one row's pair gradients
  void compute_scalar(std::span<const double> x, std::span<const double> y, std::span<const int> b,
                      ParticleBlock block, std::span<double> fx, std::span<double> fy) const;
};

// Mesh size M and B-spline order p of the particle-mesh method, with the a-priori
// estimate of the relative RMS force error on uniformly random configurations.
struct MeshChoice {
  int M = 0;
  int order = 0;
  double error_estimate = 0;
};

// The estimate (docs/particles.md): with W the B-spline transform, S(k) = sum_m W(k+Mm)^2
// and the optimal influence function T(k) = sum_m W(k+Mm)^2 G(k+Mm) / S(k)^2, the error
// per mesh mode is sum_m |G(k+Mm)|^2 - |sum_m W^2 G|^2 / S^2, relative to sum_q |G(q)|^2.
double pm_error_estimate(const Kernel& kernel, int M, int order);
// Cheapest (M, order) meeting the tolerance for n particles.
MeshChoice choose_mesh(const Kernel& kernel, double tolerance, long n);

// The mesh is distributed over `comm` in slabs of x-rows (SpectralGrid). Each rank spreads
// its block's charges in fixed point (exact integer sums: the same bits on any number of
// ranks), the ranks' meshes are summed onto the slabs, the field is gathered whole, and
// each rank interpolates it at its block of particles.
class ParticleMesh final : public ForceField {
 public:
  ParticleMesh(const Kernel& kernel, MeshChoice mesh, MPI_Comm comm = MPI_COMM_SELF);
  using ForceField::compute;
  void compute(std::span<const double> x, std::span<const double> y, std::span<const int> b,
               ParticleBlock block, std::span<double> fx, std::span<double> fy) override;
  ForceMethod method() const override { return ForceMethod::pm; }
  bool needs_all_positions() const override { return false; }
  double error_estimate() const override { return mesh_.error_estimate; }
  const MeshChoice& mesh() const { return mesh_; }

 private:
  MeshChoice mesh_;
  SpectralGrid grid_;
  std::vector<double> T1_, T2_;             // imaginary parts of the influence function, times M^2,
                                            // in the grid's transposed spectral layout
  std::vector<std::int64_t> charges_;       // M x M, this rank's block (fixed point)
  std::vector<std::int64_t> slab_charges_;  // this rank's rows, all blocks
  std::vector<double> rho_;                 // this rank's rows of the charge mesh
  std::vector<cplx> rhohat_, work_;
  std::vector<double> slab_;             // this rank's rows of a field component
  std::vector<double> field1_, field2_;  // the whole field, M x M
  std::vector<int> counts_, displs_;     // rows of each rank, in values
};

// The method a study gets: "direct" / "pm" as asked, or "auto": direct while its O(n^2)
// cost is below the particle-mesh cost at the requested accuracy.
// comm: the ranks sharing one replica (particle mesh distributed over them).
std::unique_ptr<ForceField> make_force_field(const Kernel& kernel, const std::string& method,
                                             double pm_tolerance, long n,
                                             MPI_Comm comm = MPI_COMM_SELF);

}  // namespace dislo
