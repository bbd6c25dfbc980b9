#pragma once
// SDE_n (models.md section 3, eq. 9): dX_i = F_i(X, b) dt + sqrt(2/beta) dB_i on the torus,
// by Euler-Maruyama; for beta = inf, ODE_n (eq. 28) by an adaptive Runge-Kutta method
// (PETSc TS, options prefix sde_ode_). One engine simulates one replica at a time and is
// reused for the next: start(replica) resets it.
// A replica may be shared by the ranks of a group (run.ranks_per_replica): each rank
// computes the forces on and moves its block of particles, and the positions are gathered
// after every step. The result is the same bits as on one rank.

#include <mpi.h>
#include <petscts.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/forces.hpp"
#include "dislo/particles.hpp"

namespace dislo {

class ContinuumForce;

// The Euler-Maruyama step the study gets when sde.dt = "auto": the diffusive step
// sqrt(2 dt/beta) is a quarter of delta and the drift step F dt an eighth of delta
// (docs/particles.md gives the weak error measured at this step).
double default_sde_step(const ModelParams& model, double max_gradient);

// What a study's sde.dt = "auto" and sde.force = "auto" resolve to (the engine makes the
// same choices); recorded in the output and printed by dislo check.
struct SdeChoices {
  double dt = 0;            // the Euler-Maruyama step (beta = inf: unused, RK5(4) adapts)
  std::string force;        // "direct" or "pm"
  int mesh = 0, order = 0;  // particle mesh: M and the B-spline order
  double force_error = 0;   // the method's estimated relative RMS force error
};
SdeChoices sde_choices(const Study& study);

class SdeEngine {
 public:
  // group: the ranks sharing each replica (collective over it: every call, same arguments).
  explicit SdeEngine(const Study& study, MPI_Comm group = MPI_COMM_SELF);
  ~SdeEngine();
  SdeEngine(const SdeEngine&) = delete;
  SdeEngine& operator=(const SdeEngine&) = delete;

  // Initial state of replica r at t = 0 (signs, i.i.d. positions from rho0).
  void start(std::uint64_t replica);
  // Advance to time t >= time(): ceil((t - time())/dt) equal Euler-Maruyama steps (or
  // adaptive RK steps for beta = inf) ending exactly at t.
  void advance_to(double t);

  // Replace the positions (in [0, 1)^2) of the started replica at the current time; the
  // displacement restarts from zero (tests, and restoring a checkpointed state).
  void set_positions(std::span<const double> x, std::span<const double> y);

  // Couples every later replica to Xbar (Lemma 4.2, eq. 64): each particle moved by the
  // mean-field force -b g(Xbar_i, t) of `force` with X's own Euler-Maruyama increments,
  // from X's initial positions. nullptr: no coupling. Finite beta only.
  void couple(const ContinuumForce* force);
  // (1/n) sum_i |X_i - Xbar_i| (torus distance); 0 without coupling.
  double coupling_distance() const;
  std::span<const double> xbar() const { return xb_; }
  std::span<const double> ybar() const { return yb_; }

  double time() const { return t_; }
  long n() const { return signs_.n(); }
  const Signs& signs() const { return signs_; }
  double kappa() const { return kappa_; }
  std::span<const double> x() const { return x_; }  // in [0, 1)
  std::span<const double> y() const { return y_; }
  // Unwrapped displacement X(t) - X(0), for diagnostics (mean-square displacement).
  std::span<const double> displacement_x() const { return ux_; }
  std::span<const double> displacement_y() const { return uy_; }
  std::uint64_t particle_steps() const { return particle_steps_; }
  double step() const { return dt_; }
  const ForceField& force() const { return *force_; }
  bool noiseless() const { return beta_ == std::numeric_limits<double>::infinity(); }

 private:
  MPI_Comm group_;
  ParticleBlock block_;                           // this rank's particles
  std::vector<int> block_counts_, block_starts_;  // every rank's (empty on one rank)
  double beta_, dt_;
  int refinement_;
  std::uint64_t seed_;
  InitialSampler sampler_;
  std::unique_ptr<ForceField> force_;
  double ode_rtol_, ode_atol_;

  // Replica state.
  std::unique_ptr<CounterRng> rng_;
  Signs signs_;
  double kappa_ = 0, t_ = 0;
  std::uint64_t step_index_ = 0, particle_steps_ = 0;
  std::vector<double> x_, y_, ux_, uy_, fx_, fy_;
  const ContinuumForce* coupled_ = nullptr;
  std::vector<double> xb_, yb_;

  // beta = inf.
  TS ts_ = nullptr;
  Vec u_ = nullptr;
  std::vector<double> x0_, y0_;
  static PetscErrorCode ode_rhs(TS, PetscReal, Vec, Vec, void*);
  void euler_maruyama_step(double h, double t_start);
  // Every rank's block of v to every rank (no-op on one rank).
  void gather(std::vector<double>& v) const;
  void ode_advance(double t);
};

}  // namespace dislo
