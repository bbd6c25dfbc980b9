#include "dislo/exact2.hpp"

#include <fftw3.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "dislo/initial.hpp"
#include "dislo/potential.hpp"
#include "dislo/ts_driver.hpp"

namespace dislo {

using detail::petsc_check;

namespace {
using cplx = std::complex<double>;
constexpr double two_pi = 2 * std::numbers::pi;
// Fokker-Planck grid: at least this many nodes per side (the solution is smooth on the
// scale of delta; the spectrum of grad V_delta is below 1e-13 by |m| = 10 for delta = 1/8).
constexpr int kMinFokkerPlanckGrid = 64;
// Time-stepping tolerances of both equations (far below the eps^2 differences measured).
constexpr double kRtol = 1e-10, kAtol = 1e-12;

int wrap(int v, int L) { return ((v % L) + L) % L; }
}  // namespace

struct TwoParticleLaws::Fft {
  int M;
  fftw_complex *in, *out;
  fftw_plan forward, backward;
  explicit Fft(int m) : M(m) {
    in = fftw_alloc_complex(std::size_t(M) * M);
    out = fftw_alloc_complex(std::size_t(M) * M);
    forward = fftw_plan_dft_2d(M, M, in, out, FFTW_FORWARD, FFTW_ESTIMATE);
    backward = fftw_plan_dft_2d(M, M, in, out, FFTW_BACKWARD, FFTW_ESTIMATE);
  }
  ~Fft() {
    fftw_destroy_plan(forward);
    fftw_destroy_plan(backward);
    fftw_free(in);
    fftw_free(out);
  }
  Fft(const Fft&) = delete;
  Fft& operator=(const Fft&) = delete;
};

TwoParticleLaws::TwoParticleLaws(const Study& study)
    : L_(study.model.lattice), beta_(study.model.beta) {
  const auto fail = [&](const std::string& what) {
    throw InputError(fmt::format("{}: run.models has \"exact2\": {}", study.source, what));
  };
  if (study.model.n != 2) fail(fmt::format("needs model.n = 2 (is {})", study.model.n));
  if (!study.model.n_plus) fail("needs fixed signs (model.n_plus = 0, 1 or 2, not \"random\")");
  if (study.model.noiseless()) fail("needs a finite model.beta");
  const InitialParams& in = study.initial;
  if (in.kind != InitialKind::uniform && in.kind != InitialKind::cosine)
    fail("needs initial.kind = \"uniform\" or \"cosine\"");
  const long n_plus = *study.model.n_plus;
  const int b1 = n_plus >= 1 ? 1 : -1, b2 = n_plus == 2 ? 1 : -1;
  c_ = double(b1 * b2);
  modes_.push_back({0, 0});
  if (in.kind == InitialKind::cosine && (in.amplitude != 0 || in.amplitude_minus != 0)) {
    const int k1 = in.k[0], k2 = in.k[1];
    if (2 * std::max(std::abs(k1), std::abs(k2)) >= L_ / 2)
      fail(fmt::format("initial.k = [{}, {}]: twice its components must stay below lattice/2 = {}",
                       k1, k2, L_ / 2));
    modes_.push_back({k1, k2});
    modes_.push_back({2 * k1, 2 * k2});
  }
  M_ = L_ >= kMinFokkerPlanckGrid ? L_ : L_ * ((kMinFokkerPlanckGrid + L_ - 1) / L_);

  const Kernel kernel = Kernel::of(study);
  const double eps = 1.0 / L_, base = 1 / (beta_ * eps * eps);
  const PotentialTable lattice = tabulate(kernel, L_);
  const std::size_t S = std::size_t(L_) * L_;
  for (int d = 0; d < 4; ++d) {
    r1_[d].resize(S);
    r2_[d].resize(S);
  }
  for (int a = 0; a < L_; ++a)
    for (int b = 0; b < L_; ++b) {
      const std::size_t r = std::size_t(a) * L_ + b;
      const std::size_t minus_r = std::size_t(wrap(-a, L_)) * L_ + wrap(-b, L_);
      // F_1 = -(b1 b2/2) grad V(l1 - l2), F_2 = -(b1 b2/2) grad V(l2 - l1) (n = 2).
      const double f1[2] = {-0.5 * c_ * lattice.dV1[r], -0.5 * c_ * lattice.dV2[r]};
      const double f2[2] = {-0.5 * c_ * lattice.dV1[minus_r], -0.5 * c_ * lattice.dV2[minus_r]};
      for (int d = 0; d < 4; ++d) {
        const double s = (d & 1) ? -1.0 : 1.0;
        r1_[d][r] = base * std::exp(beta_ * s * eps * f1[d / 2] / 2);
        r2_[d][r] = base * std::exp(beta_ * s * eps * f2[d / 2] / 2);
      }
    }
  const PotentialTable grid = tabulate(kernel, M_);
  u1_ = grid.dV1;
  u2_ = grid.dV2;
  fft_ = new Fft(M_);

  const auto K = PetscInt(modes_.size());
  petsc_check(VecCreateSeq(PETSC_COMM_SELF, 2 * K * PetscInt(S), &rw_u_), "VecCreateSeq");
  petsc_check(VecCreateSeq(PETSC_COMM_SELF, 2 * K * PetscInt(M_) * M_, &fp_u_), "VecCreateSeq");
  set_initial(study);
  for (int which = 0; which < 2; ++which) {
    TS& ts = which == 0 ? rw_ts_ : fp_ts_;
    petsc_check(TSCreate(PETSC_COMM_SELF, &ts), "TSCreate");
    petsc_check(TSSetOptionsPrefix(ts, which == 0 ? "exact2_rw_" : "exact2_fp_"),
                "TSSetOptionsPrefix");
    petsc_check(TSSetProblemType(ts, TS_LINEAR), "TSSetProblemType");
    petsc_check(TSSetType(ts, TSRK), "TSSetType");
    petsc_check(TSRKSetType(ts, TSRK5DP), "TSRKSetType");
    petsc_check(TSSetRHSFunction(ts, nullptr, which == 0 ? &rw_rhs : &fp_rhs, this),
                "TSSetRHSFunction");
    petsc_check(TSSetTolerances(ts, kAtol, nullptr, kRtol, nullptr), "TSSetTolerances");
    petsc_check(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP), "TSSetExactFinalTime");
    petsc_check(TSSetMaxSteps(ts, PETSC_MAX_INT), "TSSetMaxSteps");
    petsc_check(TSSetTimeStep(ts, 1e-6), "TSSetTimeStep");
    petsc_check(TSSetFromOptions(ts), "TSSetFromOptions");
  }
}

TwoParticleLaws::~TwoParticleLaws() {
  if (rw_ts_) TSDestroy(&rw_ts_);
  if (fp_ts_) TSDestroy(&fp_ts_);
  if (rw_u_) VecDestroy(&rw_u_);
  if (fp_u_) VecDestroy(&fp_u_);
  delete fft_;
}

void TwoParticleLaws::set_initial(const Study& study) {
  const InitialDensity rho0(study.initial);
  const long n_plus = *study.model.n_plus;
  const int s1 = n_plus >= 1 ? 1 : -1, s2 = n_plus == 2 ? 1 : -1;
  const double eps = 1.0 / L_;
  // RW: rho0 at the sites, normalised on the lattice; coefficients by the lattice DFT in l1.
  double z1 = 0, z2 = 0;
  for (int a = 0; a < L_; ++a)
    for (int b = 0; b < L_; ++b) {
      z1 += rho0(s1, a * eps, b * eps) * eps * eps;
      z2 += rho0(s2, a * eps, b * eps) * eps * eps;
    }
  const std::size_t S = std::size_t(L_) * L_;
  // Site values and phases once: the sums below are O(L^4).
  std::vector<double> first(S), second(S);
  for (int a = 0; a < L_; ++a)
    for (int b = 0; b < L_; ++b) {
      first[std::size_t(a) * L_ + b] = rho0(s1, a * eps, b * eps) / z1;
      second[std::size_t(a) * L_ + b] = rho0(s2, a * eps, b * eps) / z2;
    }
  std::vector<cplx> phase(S);
  PetscScalar* u = nullptr;
  petsc_check(VecGetArray(rw_u_, &u), "VecGetArray");
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    for (int a = 0; a < L_; ++a)
      for (int b = 0; b < L_; ++b)
        phase[std::size_t(a) * L_ + b] =
            std::polar(1.0, -two_pi * (modes_[k][0] * a + modes_[k][1] * b) / L_);
    for (int ra = 0; ra < L_; ++ra)
      for (int rb = 0; rb < L_; ++rb) {
        cplx sum = 0;
        for (int a = 0; a < L_; ++a)
          for (int b = 0; b < L_; ++b) {
            const std::size_t l1 = std::size_t(a) * L_ + b;
            const double f =
                first[l1] * second[std::size_t(wrap(a - ra, L_)) * L_ + wrap(b - rb, L_)];
            sum += f * phase[l1];
          }
        sum /= double(S);
        const std::size_t idx = 2 * (k * S + std::size_t(ra) * L_ + rb);
        u[idx] = sum.real();
        u[idx + 1] = sum.imag();
      }
  }
  petsc_check(VecRestoreArray(rw_u_, &u), "VecRestoreArray");
  // SDE: integral over x1 of p0(x1, x1 - r) e^{-2 pi i k.x1}, by the rectangle rule on a
  // grid that integrates the trigonometric polynomial exactly.
  const int max_k = std::max(std::abs(study.initial.k[0]), std::abs(study.initial.k[1]));
  const int Q = std::max(16, 8 * max_k);
  const double m1 = rho0.mass(s1), m2 = rho0.mass(s2);
  const double h = 1.0 / M_;
  petsc_check(VecGetArray(fp_u_, &u), "VecGetArray");
  for (std::size_t k = 0; k < modes_.size(); ++k)
    for (int i = 0; i < M_; ++i)
      for (int j = 0; j < M_; ++j) {
        cplx sum = 0;
        for (int a = 0; a < Q; ++a)
          for (int b = 0; b < Q; ++b) {
            const double x = double(a) / Q, y = double(b) / Q;
            const double f = rho0(s1, x, y) / m1 * rho0(s2, x - i * h + 1, y - j * h + 1) / m2;
            sum += f * std::polar(1.0, -two_pi * (modes_[k][0] * x + modes_[k][1] * y));
          }
        sum /= double(Q) * Q;
        const std::size_t idx = 2 * (k * std::size_t(M_) * M_ + std::size_t(i) * M_ + j);
        u[idx] = sum.real();
        u[idx + 1] = sum.imag();
      }
  petsc_check(VecRestoreArray(fp_u_, &u), "VecRestoreArray");
}

PetscErrorCode TwoParticleLaws::rw_rhs(TS, PetscReal, Vec U, Vec F, void* ctx) {
  const auto* self = static_cast<const TwoParticleLaws*>(ctx);
  const int L = self->L_;
  const std::size_t S = std::size_t(L) * L;
  const PetscScalar* u = nullptr;
  PetscScalar* f = nullptr;
  PetscCall(VecGetArrayRead(U, &u));
  PetscCall(VecGetArray(F, &f));
  const int da[4] = {1, -1, 0, 0}, db[4] = {0, 0, 1, -1};
  for (std::size_t k = 0; k < self->modes_.size(); ++k) {
    const cplx* q = reinterpret_cast<const cplx*>(u) + k * S;
    cplx* out = reinterpret_cast<cplx*>(f) + k * S;
    // Particle 1's step h moves (l1, r) to (l1 + h, r + h): in mode k a phase e^{-2 pi i k.h}.
    cplx phase[4];
    for (int d = 0; d < 4; ++d)
      phase[d] =
          std::polar(1.0, -two_pi * (self->modes_[k][0] * da[d] + self->modes_[k][1] * db[d]) / L);
    for (int a = 0; a < L; ++a)
      for (int b = 0; b < L; ++b) {
        const std::size_t r = std::size_t(a) * L + b;
        cplx sum = 0;
        for (int d = 0; d < 4; ++d) {
          const std::size_t from1 = std::size_t(wrap(a - da[d], L)) * L + wrap(b - db[d], L);
          const std::size_t from2 = std::size_t(wrap(a + da[d], L)) * L + wrap(b + db[d], L);
          sum += phase[d] * self->r1_[d][from1] * q[from1] + self->r2_[d][from2] * q[from2] -
                 (self->r1_[d][r] + self->r2_[d][r]) * q[r];
        }
        out[r] = sum;
      }
  }
  PetscCall(VecRestoreArrayRead(U, &u));
  PetscCall(VecRestoreArray(F, &f));
  return 0;
}

PetscErrorCode TwoParticleLaws::fp_rhs(TS, PetscReal, Vec U, Vec F, void* ctx) {
  const auto* self = static_cast<const TwoParticleLaws*>(ctx);
  const int M = self->M_;
  const std::size_t MM = std::size_t(M) * M;
  Fft& fft = *self->fft_;
  const PetscScalar* u = nullptr;
  PetscScalar* f = nullptr;
  PetscCall(VecGetArrayRead(U, &u));
  PetscCall(VecGetArray(F, &f));
  std::vector<cplx> A(MM), B(MM), Qh(MM);
  auto forward = [&](const cplx* field, const std::vector<double>* weight, std::vector<cplx>& to) {
    auto* in = reinterpret_cast<cplx*>(fft.in);
    for (std::size_t p = 0; p < MM; ++p) in[p] = weight ? (*weight)[p] * field[p] : field[p];
    fftw_execute(fft.forward);
    const auto* out = reinterpret_cast<const cplx*>(fft.out);
    for (std::size_t p = 0; p < MM; ++p) to[p] = out[p] / double(MM);
  };
  const int cut = M / 3;  // 2/3 rule: the products are de-aliased
  for (std::size_t k = 0; k < self->modes_.size(); ++k) {
    const cplx* q = reinterpret_cast<const cplx*>(u) + k * MM;
    forward(q, &self->u1_, A);
    forward(q, &self->u2_, B);
    forward(q, nullptr, Qh);
    // d q_k/dt = pi i c (k.u) q + c div(u q) + (1/beta) [(2 pi i k + grad)^2 + Lap] q.
    const double k1 = self->modes_[k][0], k2 = self->modes_[k][1];
    auto* in = reinterpret_cast<cplx*>(fft.in);
    for (int i = 0; i < M; ++i) {
      const int m1 = i <= M / 2 ? i : i - M;
      for (int j = 0; j < M; ++j) {
        const int m2 = j <= M / 2 ? j : j - M;
        const std::size_t p = std::size_t(i) * M + j;
        if (std::abs(m1) > cut || std::abs(m2) > cut) {
          in[p] = 0;
          continue;
        }
        const double lap = -two_pi * two_pi *
                           ((k1 + m1) * (k1 + m1) + (k2 + m2) * (k2 + m2) + m1 * m1 + m2 * m2) /
                           self->beta_;
        in[p] = self->c_ * cplx(0, std::numbers::pi) *
                    ((k1 + 2.0 * m1) * A[p] + (k2 + 2.0 * m2) * B[p]) +
                lap * Qh[p];
      }
    }
    fftw_execute(fft.backward);
    std::copy_n(reinterpret_cast<const cplx*>(fft.out), MM, reinterpret_cast<cplx*>(f) + k * MM);
  }
  PetscCall(VecRestoreArrayRead(U, &u));
  PetscCall(VecRestoreArray(F, &f));
  return 0;
}

void TwoParticleLaws::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("TwoParticleLaws::advance_to: time runs backwards");
  if (t == t_) return;
  for (TS ts : {rw_ts_, fp_ts_}) {
    petsc_check(TSSetMaxTime(ts, t), "TSSetMaxTime");
    petsc_check(TSSolve(ts, ts == rw_ts_ ? rw_u_ : fp_u_), "TSSolve");
    TSConvergedReason reason;
    petsc_check(TSGetConvergedReason(ts, &reason), "TSGetConvergedReason");
    if (reason < 0) throw std::runtime_error("exact2: the time integration diverged");
  }
  t_ = t;
}

long TwoParticleLaws::rw_steps() const {
  PetscInt steps = 0;
  TSGetStepNumber(rw_ts_, &steps);
  return long(steps);
}

long TwoParticleLaws::fp_steps() const {
  PetscInt steps = 0;
  TSGetStepNumber(fp_ts_, &steps);
  return long(steps);
}

// eps^4 sum over (l1, r) of |.|^2 = eps^4 L^2 sum over r and modes k of w_k |.|^2 (Parseval
// in l1; w = 1 for k = 0, 2 for a conjugate pair), with the SDE law at the node
// (a M/L, b M/L) of its M x M grid: of the difference RW - SDE, or of the SDE law alone.
double TwoParticleLaws::l2(bool difference) const {
  const PetscScalar *rw = nullptr, *fp = nullptr;
  petsc_check(VecGetArrayRead(rw_u_, &rw), "VecGetArrayRead");
  petsc_check(VecGetArrayRead(fp_u_, &fp), "VecGetArrayRead");
  const std::size_t S = std::size_t(L_) * L_, MM = std::size_t(M_) * M_;
  const int stride = M_ / L_;
  double sum = 0;
  for (std::size_t k = 0; k < modes_.size(); ++k)
    for (int a = 0; a < L_; ++a)
      for (int b = 0; b < L_; ++b) {
        const cplx x = reinterpret_cast<const cplx*>(rw)[k * S + std::size_t(a) * L_ + b];
        const cplx y =
            reinterpret_cast<const cplx*>(fp)[k * MM + std::size_t(a * stride) * M_ + b * stride];
        sum += (k == 0 ? 1.0 : 2.0) * std::norm(difference ? x - y : y);
      }
  VecRestoreArrayRead(rw_u_, &rw);
  VecRestoreArrayRead(fp_u_, &fp);
  return std::sqrt(sum) / L_;
}

double TwoParticleLaws::l2_distance() const { return l2(true); }
double TwoParticleLaws::l2_norm_sde() const { return l2(false); }

namespace {
// p(l1, l2) = eps^4 sum over +-k of q_k(l1 - l2) e^{2 pi i k.l1} at every pair of sites.
std::vector<double> joint(const PetscScalar* data, const std::vector<std::array<int, 2>>& modes,
                          int L, int M, int stride) {
  const std::size_t S = std::size_t(L) * L;
  const double eps4 = std::pow(1.0 / L, 4);
  std::vector<double> p(S * S);
  for (int a1 = 0; a1 < L; ++a1)
    for (int b1 = 0; b1 < L; ++b1)
      for (int a2 = 0; a2 < L; ++a2)
        for (int b2 = 0; b2 < L; ++b2) {
          const int ra = wrap(a1 - a2, L), rb = wrap(b1 - b2, L);
          double v = 0;
          for (std::size_t k = 0; k < modes.size(); ++k) {
            const cplx q = reinterpret_cast<const cplx*>(
                data)[k * std::size_t(M) * M + std::size_t(ra * stride) * M + rb * stride];
            const cplx e = std::polar(1.0, two_pi * (modes[k][0] * a1 + modes[k][1] * b1) / L);
            v += (k == 0 ? 1.0 : 2.0) * (q * e).real();
          }
          p[(std::size_t(a1) * L + b1) * S + std::size_t(a2) * L + b2] = eps4 * v;
        }
  return p;
}
}  // namespace

std::vector<double> TwoParticleLaws::rw_joint() const {
  const PetscScalar* rw = nullptr;
  petsc_check(VecGetArrayRead(rw_u_, &rw), "VecGetArrayRead");
  auto p = joint(rw, modes_, L_, L_, 1);
  VecRestoreArrayRead(rw_u_, &rw);
  return p;
}

std::vector<double> TwoParticleLaws::sde_joint() const {
  const PetscScalar* fp = nullptr;
  petsc_check(VecGetArrayRead(fp_u_, &fp), "VecGetArrayRead");
  auto p = joint(fp, modes_, L_, M_, M_ / L_);
  VecRestoreArrayRead(fp_u_, &fp);
  return p;
}

}  // namespace dislo
