#pragma once
// Exponential time differencing for du/dt = A u + G(u) with A diagonal in Fourier space:
// the PETSc TS type "etdrk4" (docs/numerics.md). A is integrated exactly (its phi functions
// per mode), the rest explicitly by Cox and Matthews' fourth-order scheme; the step adapts
// through PETSc's TSAdapt on an embedded second-order estimate measured on what moves (the
// local error relative to each species' deviation from its mean). Internal to src/.

#include <mpi.h>
#include <petscts.h>

#include <array>
#include <cstddef>
#include <vector>

#include "dislo/spectral.hpp"

namespace dislo::detail {

// phi_0 .. phi_3 of z: phi_0 = exp(z), phi_{k+1}(z) = (phi_k(z) - 1/k!) / z, evaluated
// without cancellation for every real z <= 0 (and small z > 0).
std::array<double, 4> phi_functions(double z);

// What the integrator needs of the problem: `species` blocks, each a real field and its
// spectrum (the same local modes for every species). A complex field is a real block of
// its interleaved parts whose transforms are complex (exact2's modes). Its linear part, integrated exactly, is
//   A_k = a(k) I - c(k) (b o p) b^T
// per mode k: a(k) <= 0 acts on each species alone (diffusion), and c(k) couples them
// through sum_s b_s u_s (b_s the species' sign, p_s its mean, found from the state): the
// linearisation of an interaction about the uniform state. The integrator treats
// G(u) + c (b o p) b^T u as the nonlinear rest.
class EtdOperator {
 public:
  virtual ~EtdOperator() = default;
  virtual MPI_Comm comm() const = 0;
  virtual int species() const = 0;
  virtual std::size_t real_block() const = 0;
  virtual std::size_t spectral_block() const = 0;
  // a(k) <= 0 and c(k) >= 0 of every local mode, in spectral order; b_s = +-1.
  virtual double symbol(std::size_t mode) const = 0;
  virtual double coupling(std::size_t /*mode*/) const { return 0; }
  virtual double species_sign(int /*s*/) const { return 1; }
  // Each species' mean over the torus from the state's spectrum (collective).
  virtual std::vector<double> means(const cplx* u_hat) const = 0;
  // All species at once (species blocks in and out).
  virtual void forward(const double* u, cplx* u_hat) = 0;
  virtual void backward(const cplx* u_hat, double* u) = 0;
  // g_hat = the spectrum of G(u), given the state in both forms.
  virtual void nonlinear(const double* u, const cplx* u_hat, cplx* g_hat) = 0;
};

inline constexpr const char* ts_etdrk4 = "etdrk4";

// TSRegister of the exponential types (idempotent; after PetscInitialize).
void register_exponential_integrators();
// Hands the problem to a TS of type etdrk4 (a no-op for other types). The operator must
// outlive the TS's solves.
void attach_etd_operator(TS ts, EtdOperator* op);
// The state vector was only read since the last step: the integrator keeps the spectrum
// and G it computed there (first same as last) instead of recomputing them.
void etd_state_unchanged(TS ts);

}  // namespace dislo::detail
