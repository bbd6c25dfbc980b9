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
// etdrk4 measures its error relative to the deviation from the mean (dislo/etd.hpp), the
// explicit types relative to the values: at these the two give the law distances of
// examples/validation/law_order.toml within 1.2e-9 of each other (L = 8 ... 128).
constexpr double kRtol = 1e-10, kAtol = 1e-12, kEtdRtol = 1e-8;

int wrap(int v, int L) { return ((v % L) + L) % L; }
}  // namespace

// One x1-mode of one of the two equations: du/dt = A u + G u for a complex field u on a
// P x P periodic grid (the relative sites for the master equation, the Fokker-Planck
// nodes), A diagonal in the grid's Fourier basis (the free walk's generator, or the Laplacian
// in (x1, r)), G the rest (the interaction's share of the rates, or the drift). The TS
// type "etdrk4" (the default) takes A exactly; every other type sees A u + G u as one
// right-hand side. The modes are independent problems, each with its own TS.
class TwoParticleLaws::ModeProblem : public detail::EtdOperator {
 public:
  ModeProblem(int P, const char* prefix, double horizon) : P_(P), S_(std::size_t(P) * P) {
    in_ = fftw_alloc_complex(S_);
    out_ = fftw_alloc_complex(S_);
    forward_ = fftw_plan_dft_2d(P, P, in_, out_, FFTW_FORWARD, FFTW_ESTIMATE);
    backward_ = fftw_plan_dft_2d(P, P, in_, out_, FFTW_BACKWARD, FFTW_ESTIMATE);
    symbol_.assign(S_, 0.0);
    spectrum_.resize(S_);
    rest_.resize(S_);
    petsc_check(VecCreateSeq(PETSC_COMM_SELF, 2 * PetscInt(S_), &u_), "VecCreateSeq");
    petsc_check(TSCreate(PETSC_COMM_SELF, &ts_), "TSCreate");
    petsc_check(TSSetOptionsPrefix(ts_, prefix), "TSSetOptionsPrefix");
    petsc_check(TSSetProblemType(ts_, TS_LINEAR), "TSSetProblemType");
    petsc_check(TSSetType(ts_, detail::ts_etdrk4), "TSSetType");
    petsc_check(TSSetRHSFunction(ts_, nullptr, &rhs, this), "TSSetRHSFunction");
    petsc_check(TSSetTolerances(ts_, kAtol, nullptr, kEtdRtol, nullptr), "TSSetTolerances");
    petsc_check(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP), "TSSetExactFinalTime");
    petsc_check(TSSetMaxSteps(ts_, PETSC_MAX_INT), "TSSetMaxSteps");
    // etdrk4 tries whole output intervals first (dislo/etd.hpp); explicit types start small.
    petsc_check(TSSetTimeStep(ts_, horizon), "TSSetTimeStep");
    petsc_check(TSSetFromOptions(ts_), "TSSetFromOptions");
    PetscBool etd = PETSC_FALSE, dt_given = PETSC_FALSE, rtol_given = PETSC_FALSE;
    petsc_check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts_), detail::ts_etdrk4, &etd),
                "PetscObjectTypeCompare");
    petsc_check(PetscOptionsHasName(nullptr, prefix, "-ts_dt", &dt_given), "PetscOptionsHasName");
    petsc_check(PetscOptionsHasName(nullptr, prefix, "-ts_rtol", &rtol_given),
                "PetscOptionsHasName");
    if (!etd && !dt_given) petsc_check(TSSetTimeStep(ts_, 1e-6), "TSSetTimeStep");
    if (!etd && !rtol_given)
      petsc_check(TSSetTolerances(ts_, PETSC_DECIDE, nullptr, kRtol, nullptr), "TSSetTolerances");
    detail::attach_etd_operator(ts_, this);
  }
  ~ModeProblem() override {
    TSDestroy(&ts_);
    VecDestroy(&u_);
    fftw_destroy_plan(forward_);
    fftw_destroy_plan(backward_);
    fftw_free(in_);
    fftw_free(out_);
  }
  ModeProblem(const ModeProblem&) = delete;
  ModeProblem& operator=(const ModeProblem&) = delete;

  // The state's P x P complex values, grid order.
  cplx* begin_write() {
    PetscScalar* u = nullptr;
    petsc_check(VecGetArray(u_, &u), "VecGetArray");
    return reinterpret_cast<cplx*>(u);
  }
  void end_write(cplx* u) {
    auto* raw = reinterpret_cast<PetscScalar*>(u);
    petsc_check(VecRestoreArray(u_, &raw), "VecRestoreArray");
  }
  // The state u(r) = scale sum over l of g(l) f(l - r) for a real f, by FFTs.
  void set_correlation(const std::vector<cplx>& g, const std::vector<cplx>& f, double scale) {
    const cplx* g_hat = dft(g.data());
    std::vector<cplx> product(g_hat, g_hat + S_);
    const cplx* f_hat = dft(f.data());
    for (std::size_t m = 0; m < S_; ++m) product[m] *= scale * std::conj(f_hat[m]);
    cplx* u = begin_write();
    backward(product.data(), reinterpret_cast<double*>(u));
    end_write(u);
  }
  std::vector<cplx> values() const {
    const PetscScalar* u = nullptr;
    petsc_check(VecGetArrayRead(u_, &u), "VecGetArrayRead");
    const auto* c = reinterpret_cast<const cplx*>(u);
    std::vector<cplx> copy(c, c + S_);
    petsc_check(VecRestoreArrayRead(u_, &u), "VecRestoreArrayRead");
    return copy;
  }
  void advance_to(double t) {
    petsc_check(TSSetMaxTime(ts_, t), "TSSetMaxTime");
    petsc_check(TSSolve(ts_, u_), "TSSolve");
    TSConvergedReason reason;
    petsc_check(TSGetConvergedReason(ts_, &reason), "TSGetConvergedReason");
    if (reason < 0) throw std::runtime_error("exact2: the time integration diverged");
  }
  long steps() const {
    PetscInt n = 0;
    TSGetStepNumber(ts_, &n);
    return long(n);
  }

  // EtdOperator: one species, the complex field as 2 P^2 reals.
  MPI_Comm comm() const override { return PETSC_COMM_SELF; }
  int species() const override { return 1; }
  std::size_t real_block() const override { return 2 * S_; }
  std::size_t spectral_block() const override { return S_; }
  double symbol(std::size_t mode) const override { return symbol_[mode]; }
  std::vector<double> means(const cplx*) const override { return {0.0}; }
  void forward(const double* u, cplx* u_hat) override {
    std::copy_n(reinterpret_cast<const cplx*>(u), S_, reinterpret_cast<cplx*>(in_));
    fftw_execute(forward_);
    std::copy_n(reinterpret_cast<const cplx*>(out_), S_, u_hat);
  }
  void backward(const cplx* u_hat, double* u) override {
    std::copy_n(u_hat, S_, reinterpret_cast<cplx*>(in_));
    fftw_execute(backward_);
    const auto* o = reinterpret_cast<const cplx*>(out_);
    auto* field = reinterpret_cast<cplx*>(u);
    const double scale = 1.0 / double(S_);
    for (std::size_t p = 0; p < S_; ++p) field[p] = o[p] * scale;
  }
  void nonlinear(const double* u, const cplx* u_hat, cplx* g_hat) override {
    rest(reinterpret_cast<const cplx*>(u), u_hat, g_hat);
  }

 protected:
  // g_hat = the DFT (unnormalised, as forward) of G u, given u and its DFT.
  virtual void rest(const cplx* u, const cplx* u_hat, cplx* g_hat) = 0;
  // The DFT of a field, in a scratch array of the problem (valid until the next call).
  const cplx* dft(const cplx* field) {
    std::copy_n(field, S_, reinterpret_cast<cplx*>(in_));
    fftw_execute(forward_);
    return reinterpret_cast<const cplx*>(out_);
  }
  int P_;
  std::size_t S_;
  std::vector<double> symbol_;  // A per Fourier index (i P + j, FFT order)

 private:
  // Every other TS type: A u + G u as one right-hand side.
  static PetscErrorCode rhs(TS, PetscReal, Vec U, Vec F, void* ctx) {
    return detail::petsc_guarded("exact2", [&] {
      auto* self = static_cast<ModeProblem*>(ctx);
      const PetscScalar* u = nullptr;
      PetscScalar* f = nullptr;
      petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
      petsc_check(VecGetArray(F, &f), "VecGetArray");
      self->forward(u, self->spectrum_.data());
      self->rest(reinterpret_cast<const cplx*>(u), self->spectrum_.data(), self->rest_.data());
      for (std::size_t p = 0; p < self->S_; ++p)
        self->rest_[p] += self->symbol_[p] * self->spectrum_[p];
      self->backward(self->rest_.data(), f);
      petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
      petsc_check(VecRestoreArray(F, &f), "VecRestoreArray");
    });
  }
  fftw_complex *in_ = nullptr, *out_ = nullptr;
  fftw_plan forward_ = nullptr, backward_ = nullptr;
  std::vector<cplx> spectrum_, rest_;
  TS ts_ = nullptr;
  Vec u_ = nullptr;
};

namespace {
int signed_index(int i, int P) { return i <= P / 2 ? i : i - P; }
}  // namespace

// The master equation's x1-mode k on the L x L relative sites r = l1 - l2: particle 1's
// step h moves (l1, r) to (l1 + h, r + h), a phase e^{-2 pi i k.h/L} in mode k; particle
// 2's moves r to r - h. A: both walks at the base rate B = 1/(beta eps^2), whose symbol is
// 2B sum over axes of [cos(2 pi (k + m)/L) + cos(2 pi m/L) - 2]; G: the rates' deviation
// from B (the interaction's tilt, of size |F|/eps rather than 1/eps^2).
class TwoParticleLaws::WalkMode : public ModeProblem {
 public:
  WalkMode(int L, std::array<int, 2> k, double base, const std::vector<double> (&r1)[4],
           const std::vector<double> (&r2)[4], double horizon)
      : ModeProblem(L, "exact2_rw_", horizon) {
    for (int d = 0; d < 4; ++d) {
      phase_[d] = std::polar(1.0, -two_pi * (k[0] * kStep[d][0] + k[1] * kStep[d][1]) / L);
      excess1_[d] = r1[d];
      excess2_[d] = r2[d];
      for (double& v : excess1_[d]) v -= base;
      for (double& v : excess2_[d]) v -= base;
    }
    for (int i = 0; i < L; ++i)
      for (int j = 0; j < L; ++j) {
        double sum = 0;
        for (int axis = 0; axis < 2; ++axis) {
          const int m = axis == 0 ? i : j;
          sum += std::cos(two_pi * (k[axis] + m) / L) + std::cos(two_pi * m / L) - 2;
        }
        symbol_[std::size_t(i) * L + j] = 2 * base * sum;
      }
  }

 private:
  static constexpr int kStep[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
  void rest(const cplx* q, const cplx*, cplx* g_hat) override {
    const int L = P_;
    std::vector<cplx>& g = scratch_;
    g.resize(S_);
    for (int a = 0; a < L; ++a)
      for (int b = 0; b < L; ++b) {
        const std::size_t r = std::size_t(a) * L + b;
        cplx sum = 0;
        for (int d = 0; d < 4; ++d) {
          const std::size_t from1 =
              std::size_t(wrap(a - kStep[d][0], L)) * L + wrap(b - kStep[d][1], L);
          const std::size_t from2 =
              std::size_t(wrap(a + kStep[d][0], L)) * L + wrap(b + kStep[d][1], L);
          sum += phase_[d] * excess1_[d][from1] * q[from1] + excess2_[d][from2] * q[from2] -
                 (excess1_[d][r] + excess2_[d][r]) * q[r];
        }
        g[r] = sum;
      }
    const cplx* spectrum = dft(g.data());
    std::copy_n(spectrum, S_, g_hat);
  }
  cplx phase_[4];
  std::vector<double> excess1_[4], excess2_[4];
  std::vector<cplx> scratch_;
};

// Fokker-Planck's x1-mode k on the M x M nodes of r, pseudo-spectrally with the 2/3 rule:
// d q/dt = pi i c (k.u) q + c div(u q) + (1/beta) [(2 pi i k + grad)^2 + Lap] q with
// u = grad V_delta(r), c = b1 b2. A: the Laplacian part (diagonal); G: the drift. Modes
// beyond the 2/3 cut are frozen (A = G = 0 there), as the products are de-aliased.
class TwoParticleLaws::DiffusionMode : public ModeProblem {
 public:
  DiffusionMode(int M, std::array<int, 2> k, double beta, double c, const std::vector<double>& u1,
                const std::vector<double>& u2, double horizon)
      : ModeProblem(M, "exact2_fp_", horizon), k_(k), c_(c), u1_(u1), u2_(u2) {
    const int cut = M / 3;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < M; ++j) {
        const int m1 = signed_index(i, M), m2 = signed_index(j, M);
        if (std::abs(m1) > cut || std::abs(m2) > cut) continue;
        const double k1 = k[0] + m1, k2 = k[1] + m2;
        symbol_[std::size_t(i) * M + j] =
            -two_pi * two_pi * (k1 * k1 + k2 * k2 + double(m1) * m1 + double(m2) * m2) / beta;
      }
  }

 private:
  void rest(const cplx* q, const cplx*, cplx* g_hat) override {
    const int M = P_, cut = M / 3;
    std::vector<cplx>& w = scratch_;
    w.resize(S_);
    for (std::size_t p = 0; p < S_; ++p) w[p] = u1_[p] * q[p];
    const cplx* a = dft(w.data());
    a_.assign(a, a + S_);
    for (std::size_t p = 0; p < S_; ++p) w[p] = u2_[p] * q[p];
    const cplx* b = dft(w.data());
    const cplx factor = c_ * cplx(0, std::numbers::pi);
    for (int i = 0; i < M; ++i) {
      const int m1 = signed_index(i, M);
      for (int j = 0; j < M; ++j) {
        const int m2 = signed_index(j, M);
        const std::size_t p = std::size_t(i) * M + j;
        g_hat[p] = std::abs(m1) > cut || std::abs(m2) > cut
                       ? cplx(0)
                       : factor * ((k_[0] + 2.0 * m1) * a_[p] + (k_[1] + 2.0 * m2) * b[p]);
      }
    }
  }
  std::array<int, 2> k_;
  double c_;
  const std::vector<double>&u1_, &u2_;
  std::vector<cplx> scratch_, a_;
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
  detail::register_exponential_integrators();
  for (const auto& k : modes_) {
    rw_.push_back(std::make_unique<WalkMode>(L_, k, base, r1_, r2_, study.model.T));
    fp_.push_back(std::make_unique<DiffusionMode>(M_, k, beta_, c_, u1_, u2_, study.model.T));
  }
  set_initial(study);
}

TwoParticleLaws::~TwoParticleLaws() = default;

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
  std::vector<double> first(S), second(S);
  for (int a = 0; a < L_; ++a)
    for (int b = 0; b < L_; ++b) {
      first[std::size_t(a) * L_ + b] = rho0(s1, a * eps, b * eps) / z1;
      second[std::size_t(a) * L_ + b] = rho0(s2, a * eps, b * eps) / z2;
    }
  // q_k(r) = (1/S) sum over l of first(l) e^{-2 pi i k.l} second(l - r): a correlation.
  std::vector<cplx> weighted(S), other(second.begin(), second.end());
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    for (int a = 0; a < L_; ++a)
      for (int b = 0; b < L_; ++b) {
        const std::size_t l = std::size_t(a) * L_ + b;
        weighted[l] =
            first[l] * std::polar(1.0, -two_pi * (modes_[k][0] * a + modes_[k][1] * b) / L_);
      }
    rw_[k]->set_correlation(weighted, other, 1.0 / double(S));
  }
  // SDE: integral over x1 of p0(x1, x1 - r) e^{-2 pi i k.x1}, by the rectangle rule on a
  // grid that integrates the trigonometric polynomial exactly.
  const int max_k = std::max(std::abs(study.initial.k[0]), std::abs(study.initial.k[1]));
  const int Q = std::max(16, 8 * max_k);
  const double m1 = rho0.mass(s1), m2 = rho0.mass(s2);
  const double h = 1.0 / M_;
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    cplx* u = fp_[k]->begin_write();
    for (int i = 0; i < M_; ++i)
      for (int j = 0; j < M_; ++j) {
        cplx sum = 0;
        for (int a = 0; a < Q; ++a)
          for (int b = 0; b < Q; ++b) {
            const double x = double(a) / Q, y = double(b) / Q;
            const double f = rho0(s1, x, y) / m1 * rho0(s2, x - i * h + 1, y - j * h + 1) / m2;
            sum += f * std::polar(1.0, -two_pi * (modes_[k][0] * x + modes_[k][1] * y));
          }
        u[std::size_t(i) * M_ + j] = sum / (double(Q) * Q);
      }
    fp_[k]->end_write(u);
  }
}

void TwoParticleLaws::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("TwoParticleLaws::advance_to: time runs backwards");
  if (t == t_) return;
  for (auto* problems : {&rw_, &fp_})
    for (auto& p : *problems) p->advance_to(t);
  t_ = t;
}

long TwoParticleLaws::rw_steps() const {
  long n = 0;
  for (const auto& p : rw_) n += p->steps();
  return n;
}

long TwoParticleLaws::fp_steps() const {
  long n = 0;
  for (const auto& p : fp_) n += p->steps();
  return n;
}

// eps^4 sum over (l1, r) of |.|^2 = eps^4 L^2 sum over r and modes k of w_k |.|^2 (Parseval
// in l1; w = 1 for k = 0, 2 for a conjugate pair), with the SDE law at the node
// (a M/L, b M/L) of its M x M grid: of the difference RW - SDE, or of the SDE law alone.
double TwoParticleLaws::l2(bool difference) const {
  const int stride = M_ / L_;
  double sum = 0;
  for (std::size_t k = 0; k < modes_.size(); ++k) {
    const auto rw = rw_[k]->values(), fp = fp_[k]->values();
    for (int a = 0; a < L_; ++a)
      for (int b = 0; b < L_; ++b) {
        const cplx x = rw[std::size_t(a) * L_ + b];
        const cplx y = fp[std::size_t(a * stride) * M_ + b * stride];
        sum += (k == 0 ? 1.0 : 2.0) * std::norm(difference ? x - y : y);
      }
  }
  return std::sqrt(sum) / L_;
}

double TwoParticleLaws::l2_distance() const { return l2(true); }
double TwoParticleLaws::l2_norm_sde() const { return l2(false); }

namespace {
// p(l1, l2) = eps^4 sum over +-k of q_k(l1 - l2) e^{2 pi i k.l1} at every pair of sites,
// q_k on a grid of M x M nodes, the sites every stride-th.
std::vector<double> joint(const std::vector<std::vector<cplx>>& q,
                          const std::vector<std::array<int, 2>>& modes, int L, int M, int stride) {
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
            const cplx value = q[k][std::size_t(ra * stride) * M + rb * stride];
            const cplx e = std::polar(1.0, two_pi * (modes[k][0] * a1 + modes[k][1] * b1) / L);
            v += (k == 0 ? 1.0 : 2.0) * (value * e).real();
          }
          p[(std::size_t(a1) * L + b1) * S + std::size_t(a2) * L + b2] = eps4 * v;
        }
  return p;
}
}  // namespace

std::vector<double> TwoParticleLaws::rw_joint() const {
  std::vector<std::vector<cplx>> q;
  for (const auto& p : rw_) q.push_back(p->values());
  return joint(q, modes_, L_, L_, 1);
}

std::vector<double> TwoParticleLaws::sde_joint() const {
  std::vector<std::vector<cplx>> q;
  for (const auto& p : fp_) q.push_back(p->values());
  return joint(q, modes_, L_, M_, M_ / L_);
}

}  // namespace dislo
