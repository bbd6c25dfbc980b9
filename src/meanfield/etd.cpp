#include "dislo/etd.hpp"

#include <petsc/private/tsimpl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dislo/ts_driver.hpp"

namespace dislo::detail {

// Below |z| = 1 the recurrence phi_{k+1} = (phi_k - 1/k!)/z cancels; there the Taylor
// series sum_j z^j / (j + k)! converges to round-off within 20 terms (1/20! < 1e-18).
std::array<double, 4> phi_functions(double z) {
  if (std::abs(z) < 1) {
    std::array<double, 24> terms{};  // z^j / (j + 3)!, summed from the small end
    double term = 1.0 / 6.0;
    for (int j = 0; j < 24; ++j) {
      terms[j] = term;
      term *= z / double(j + 4);
    }
    double p3 = 0;
    for (int j = 23; j >= 0; --j) p3 += terms[j];
    const double p2 = 0.5 + z * p3;  // phi_k(z) = 1/k! + z phi_{k+1}(z)
    const double p1 = 1.0 + z * p2;
    return {std::exp(z), p1, p2, p3};
  }
  const double p1 = std::expm1(z) / z;
  const double p2 = (p1 - 1.0) / z;
  const double p3 = (p2 - 0.5) / z;
  return {std::exp(z), p1, p2, p3};
}

namespace {

// Cox and Matthews' ETDRK4 weights for one step h, as functions f of the linear part:
//   e = exp(hA), e2 = exp(hA/2), q = (h/2) phi1(hA/2),
//   f1 = h (phi1 - 3 phi2 + 4 phi3), f2 = h (2 phi2 - 4 phi3), f3 = h (4 phi3 - phi2).
// Per mode A = a I - c (b o p) b^T has the eigenvalue a - c P (P = sum p) on the rank-one
// projector Pi = (b o p) b^T / P and a on the rest, so f(A) = f(a) I + (f(a - cP) - f(a)) Pi:
// each weight is the pair (f(a), f(a - cP) - f(a)) per mode. The phi functions are evaluated
// once per distinct (a, c) and looked up per mode.
constexpr int kMaxSpecies = 8;

struct Weight {
  std::vector<double> own, coupled;
};
struct StepWeights {
  double h = -1;
  Weight e, e2, q, f1, f2, f3;
};
struct Term {
  const Weight* w;
  const cplx* x;  // species blocks
};

struct EtdData {
  EtdOperator* op = nullptr;
  std::vector<std::uint32_t> symbol_of_mode;   // index into symbols
  std::vector<std::array<double, 2>> symbols;  // distinct (a, c)
  std::vector<double> coupling;                // c per mode
  std::vector<double> sign_mean;               // b_s p_s / P per species
  std::vector<double> sign;                    // b_s
  double total_mean = 0;                       // P
  std::array<StepWeights, 4> weights;          // the last step sizes (steady, landing)
  int next_slot = 0;
  // Spectra (species blocks): state, stages, G at each, the candidate and its error.
  std::vector<cplx> u_hat, n1, a_hat, na, b_hat, nb, c_hat, nc, new_hat, n5, err_hat;
  std::vector<double> stage, new_u, err;  // real fields (species blocks)
  bool have_start = false;                // u_hat and n1 belong to vec_sol ...
  PetscObjectState start_state = 0;       // ... as long as its state is this one
  bool starting = true;                   // no step accepted from this state yet
  double error_norm = -1;

  void prepare();
  void set_means(const std::vector<double>& p);
  const StepWeights& weights_for(double h);
  void apply(cplx* out, std::initializer_list<Term> terms) const;
  void rest(const cplx* x_hat, cplx* g_hat) const;
  void evaluate(const std::vector<cplx>& x_hat, std::vector<cplx>& n_x);
  void ensure_start(TS ts);
  void attempt(TS ts, double h, bool estimate);
  double scaled_error(TS ts, const double* u0) const;
  void accept(TS ts);
  double start_up_step(TS ts, double h, bool again) const;
  void step(TS ts);
};

void EtdData::prepare() {
  if (!op) throw std::logic_error("TS etdrk4: no problem attached (it serves dislo's mean fields)");
  if (!u_hat.empty()) return;
  const std::size_t sb = op->spectral_block(), n = sb * op->species();
  std::vector<std::array<double, 2>> ac(sb);
  coupling.resize(sb);
  for (std::size_t m = 0; m < sb; ++m) {
    ac[m] = {op->symbol(m), op->coupling(m)};
    coupling[m] = ac[m][1];
  }
  symbols = ac;
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  symbol_of_mode.resize(sb);
  for (std::size_t m = 0; m < sb; ++m)
    symbol_of_mode[m] =
        std::uint32_t(std::lower_bound(symbols.begin(), symbols.end(), ac[m]) - symbols.begin());
  if (op->species() < 1 || op->species() > kMaxSpecies)
    throw std::logic_error("TS etdrk4: 1 to 8 species");
  sign.resize(op->species());
  for (int s = 0; s < op->species(); ++s) sign[s] = op->species_sign(s);
  sign_mean.assign(op->species(), 0.0);
  for (auto* v : {&u_hat, &n1, &a_hat, &na, &b_hat, &nb, &c_hat, &nc, &new_hat, &n5, &err_hat})
    v->assign(n, cplx(0));
  const std::size_t rn = op->real_block() * op->species();
  stage.assign(rn, 0);
  new_u.assign(rn, 0);
  err.assign(rn, 0);
}

// The coupling's projector depends on the means, which the dynamics keep: new means come
// only with a new state, and then the weights are recomputed.
void EtdData::set_means(const std::vector<double>& p) {
  double total = 0;
  for (double v : p) total += v;
  if (!(total > 0)) total = 0;  // no mass: no coupling
  if (total == total_mean) {
    bool same = true;
    for (std::size_t s = 0; s < p.size(); ++s)
      same = same && sign_mean[s] * total == sign[s] * p[s];
    if (same) return;
  }
  total_mean = total;
  for (std::size_t s = 0; s < p.size(); ++s) sign_mean[s] = total > 0 ? sign[s] * p[s] / total : 0;
  for (auto& w : weights) w.h = -1;
}

const StepWeights& EtdData::weights_for(double h) {
  for (const auto& w : weights)
    if (w.h == h) return w;
  StepWeights& w = weights[next_slot];
  next_slot = (next_slot + 1) % int(weights.size());
  const std::size_t u = symbols.size();
  std::array<std::vector<double>, 12> distinct;
  for (auto& v : distinct) v.resize(u);
  for (std::size_t i = 0; i < u; ++i) {
    const double a = symbols[i][0], coupled = a - symbols[i][1] * total_mean;
    for (int part = 0; part < 2; ++part) {
      const double z = h * (part == 0 ? a : coupled);
      const auto full = phi_functions(z);
      const auto half = phi_functions(0.5 * z);
      distinct[part * 6 + 0][i] = full[0];
      distinct[part * 6 + 1][i] = half[0];
      distinct[part * 6 + 2][i] = 0.5 * h * half[1];
      distinct[part * 6 + 3][i] = h * (full[1] - 3 * full[2] + 4 * full[3]);
      distinct[part * 6 + 4][i] = h * (2 * full[2] - 4 * full[3]);
      distinct[part * 6 + 5][i] = h * (4 * full[3] - full[2]);
    }
    for (int j = 0; j < 6; ++j) distinct[6 + j][i] -= distinct[j][i];
  }
  const std::array<Weight*, 6> named{&w.e, &w.e2, &w.q, &w.f1, &w.f2, &w.f3};
  for (int j = 0; j < 6; ++j) {
    named[j]->own = std::move(distinct[j]);
    named[j]->coupled = std::move(distinct[6 + j]);
  }
  w.h = h;
  return w;
}

// out = sum over terms of f(A) x, per mode: f(a) x_s + (f(a - cP) - f(a)) (b_s p_s / P) b.x.
// One pass over the modes (each input read once): the spectra are far larger than cache.
// kSpecies 0: any number up to kMaxSpecies, given at run time.
template <int kSpecies>
void apply_modes(cplx* out, std::size_t sb, const std::uint32_t* index, std::size_t nt,
                 const std::array<const Weight*, 4>& w, const std::array<const cplx*, 4>& x,
                 const double* sign, const double* sign_mean, int any_species) {
  const int species = kSpecies > 0 ? kSpecies : any_species;
  std::array<const double*, 4> own{}, coupled{}, xd{};
  for (std::size_t j = 0; j < nt; ++j) {
    own[j] = w[j]->own.data();
    coupled[j] = w[j]->coupled.data();
    xd[j] = reinterpret_cast<const double*>(x[j]);
  }
  auto* o = reinterpret_cast<double*>(out);
  for (std::size_t m = 0; m < sb; ++m) {
    const std::uint32_t i = index[m];
    double re[kSpecies > 0 ? kSpecies : kMaxSpecies] = {},
                                        im[kSpecies > 0 ? kSpecies : kMaxSpecies] = {};
    double sum_re = 0, sum_im = 0;
    for (std::size_t j = 0; j < nt; ++j) {
      const double a = own[j][i], c = coupled[j][i];
      const double* v = xd[j];
      double p_re = 0, p_im = 0;
      for (int s = 0; s < species; ++s) {
        const double v_re = v[2 * (s * sb + m)], v_im = v[2 * (s * sb + m) + 1];
        re[s] += a * v_re;
        im[s] += a * v_im;
        p_re += sign[s] * v_re;
        p_im += sign[s] * v_im;
      }
      sum_re += c * p_re;
      sum_im += c * p_im;
    }
    for (int s = 0; s < species; ++s) {
      o[2 * (s * sb + m)] = re[s] + sign_mean[s] * sum_re;
      o[2 * (s * sb + m) + 1] = im[s] + sign_mean[s] * sum_im;
    }
  }
}

void EtdData::apply(cplx* out, std::initializer_list<Term> terms) const {
  const std::size_t sb = symbol_of_mode.size();
  std::array<const Weight*, 4> w{};
  std::array<const cplx*, 4> x{};
  std::size_t nt = 0;
  for (const Term& t : terms) {
    w[nt] = t.w;
    x[nt++] = t.x;
  }
  const std::uint32_t* index = symbol_of_mode.data();
  const int species = int(sign.size());
  if (species == 2)
    apply_modes<2>(out, sb, index, nt, w, x, sign.data(), sign_mean.data(), species);
  else
    apply_modes<0>(out, sb, index, nt, w, x, sign.data(), sign_mean.data(), species);
}

// The nonlinear rest G(x) + c (b o p) b^T x, from g_hat = G(x).
void EtdData::rest(const cplx* x_hat, cplx* g_hat) const {
  if (total_mean == 0) return;
  const std::size_t sb = symbol_of_mode.size();
  const int species = int(sign.size());
  for (std::size_t m = 0; m < sb; ++m) {
    if (coupling[m] == 0) continue;
    cplx sum = 0;
    for (int s = 0; s < species; ++s) sum += sign[s] * x_hat[s * sb + m];
    for (int s = 0; s < species; ++s)
      g_hat[s * sb + m] += (coupling[m] * sign_mean[s] * total_mean) * sum;
  }
}

void EtdData::evaluate(const std::vector<cplx>& x_hat, std::vector<cplx>& n_x) {
  op->backward(x_hat.data(), stage.data());
  op->nonlinear(stage.data(), x_hat.data(), n_x.data());
  rest(x_hat.data(), n_x.data());
}

// The spectrum of the state and G there, unless the last accepted step left them valid.
void EtdData::ensure_start(TS ts) {
  PetscObjectState now = 0;
  petsc_check(PetscObjectStateGet(reinterpret_cast<PetscObject>(ts->vec_sol), &now),
              "PetscObjectStateGet");
  if (have_start && now == start_state) return;
  const PetscScalar* u;
  petsc_check(VecGetArrayRead(ts->vec_sol, &u), "VecGetArrayRead");
  op->forward(u, u_hat.data());
  set_means(op->means(u_hat.data()));
  op->nonlinear(u, u_hat.data(), n1.data());
  rest(u_hat.data(), n1.data());
  petsc_check(VecRestoreArrayRead(ts->vec_sol, &u), "VecRestoreArrayRead");
  have_start = true;
  start_state = now;
  starting = true;
}

// One ETDRK4 step of size h from (u_hat, n1): the candidate in new_u / new_hat, N there
// in n5, and (if estimate) the scaled local error of the embedded second-order solution.
void EtdData::attempt(TS ts, double h, bool estimate) {
  const StepWeights& w = weights_for(h);
  apply(a_hat.data(), {{&w.e2, u_hat.data()}, {&w.q, n1.data()}});
  evaluate(a_hat, na);
  apply(b_hat.data(), {{&w.e2, u_hat.data()}, {&w.q, na.data()}});
  evaluate(b_hat, nb);
  for (std::size_t k = 0; k < nb.size(); ++k) err_hat[k] = 2.0 * nb[k] - n1[k];  // scratch
  apply(c_hat.data(), {{&w.e2, a_hat.data()}, {&w.q, err_hat.data()}});
  evaluate(c_hat, nc);
  for (std::size_t k = 0; k < nb.size(); ++k) err_hat[k] = na[k] + nb[k];
  apply(new_hat.data(),
        {{&w.e, u_hat.data()}, {&w.f1, n1.data()}, {&w.f2, err_hat.data()}, {&w.f3, nc.data()}});
  op->backward(new_hat.data(), new_u.data());
  op->nonlinear(new_u.data(), new_hat.data(), n5.data());
  rest(new_hat.data(), n5.data());
  error_norm = -1;
  if (!estimate) return;
  // The embedded second-order solution e u + h (phi1 - phi2) G(u) + h phi2 G(new) (the
  // exponential trapezoid through the step's end) differs from the new state by
  // f2 (Na + Nb - N1 - N5) + f3 (Nc - N5) (h phi2 = f2 + f3): zero for any G linear in
  // time, so it measures the curvature of G along the step, which is what the fourth-order
  // quadrature of G misses once the linear part makes long steps possible.
  for (std::size_t k = 0; k < nb.size(); ++k) {
    nb[k] = na[k] + nb[k] - n1[k] - n5[k];  // scratch
    nc[k] -= n5[k];
  }
  apply(err_hat.data(), {{&w.f2, nb.data()}, {&w.f3, nc.data()}});
  op->backward(err_hat.data(), err.data());
  const PetscScalar* u0;
  petsc_check(VecGetArrayRead(ts->vec_sol, &u0), "VecGetArrayRead");
  error_norm = scaled_error(ts, u0);
  petsc_check(VecRestoreArrayRead(ts->vec_sol, &u0), "VecRestoreArrayRead");
  // A step too long for the stages to stay finite is rejected, not accepted as "no error".
  if (!std::isfinite(error_norm)) error_norm = std::numeric_limits<double>::infinity();
}

// max over species of max|err| / (atol + rtol * half the range of the species over the
// step's two ends). Maxima only, so the bits do not depend on the number of ranks.
double EtdData::scaled_error(TS ts, const double* u0) const {
  const std::size_t rb = op->real_block();
  const int species = op->species();
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> local(3 * species, -inf);  // max|err|, max u, -min u per species
  for (int s = 0; s < species; ++s) {
    double e = -inf, hi = -inf, lo = inf;
    const double *es = err.data() + s * rb, *a = u0 + s * rb, *b = new_u.data() + s * rb;
    for (std::size_t x = 0; x < rb; ++x) {
      e = std::max(e, std::abs(es[x]));
      hi = std::max(hi, std::max(a[x], b[x]));
      lo = std::min(lo, std::min(a[x], b[x]));
    }
    local[3 * s] = e;
    local[3 * s + 1] = hi;
    local[3 * s + 2] = -lo;
  }
  std::vector<double> global(local.size());
  MPI_Allreduce(local.data(), global.data(), int(local.size()), MPI_DOUBLE, MPI_MAX, op->comm());
  double norm = 0;
  for (int s = 0; s < species; ++s) {
    const double half_range = 0.5 * (global[3 * s + 1] + global[3 * s + 2]);
    norm = std::max(norm, global[3 * s] / (ts->atol + ts->rtol * half_range));
  }
  return norm;
}

void EtdData::accept(TS ts) {
  PetscScalar* u;
  petsc_check(VecGetArray(ts->vec_sol, &u), "VecGetArray");
  std::copy(new_u.begin(), new_u.end(), u);
  petsc_check(VecRestoreArray(ts->vec_sol, &u), "VecRestoreArray");
  std::swap(u_hat, new_hat);
  std::swap(n1, n5);
  petsc_check(PetscObjectStateGet(reinterpret_cast<PetscObject>(ts->vec_sol), &start_state),
              "PetscObjectStateGet");
  have_start = true;
  starting = false;
}

// Until a step from a new state is accepted, a rejected step shrinks as far as the error
// model asks (err ~ h^3, with the controller's safety factors), not by at most the
// controller's clip per rejection: the first step tries the whole interval to the next
// output (TsDriver), a guess that may be orders of magnitude too long (CVODE lets its
// first step change alike).
double EtdData::start_up_step(TS ts, double h, bool again) const {
  PetscReal safety = 0.9, reject_safety = 0.5, low = 0, high = 0;
  petsc_check(TSAdaptGetSafety(ts->adapt, &safety, &reject_safety), "TSAdaptGetSafety");
  petsc_check(TSAdaptGetStepLimits(ts->adapt, &low, &high), "TSAdaptGetStepLimits");
  const double factor = (again ? safety * reject_safety : safety) * std::cbrt(1 / error_norm);
  return std::clamp(h * std::clamp(factor, 1e-4, 0.9), double(low), double(high));
}

// The controller's proposal rounded down to a power of 2^(1/8) (at most 8% shorter), so
// that steady stretches reuse the weights; a step that lands on the final time is kept.
double on_grid(TS ts, double h) {
  const double left = ts->max_time - ts->ptime;
  if (!(h > 0) || h >= left || h == 0.5 * left) return h;
  return std::exp2(std::floor(8 * std::log2(h)) / 8);
}

void EtdData::step(TS ts) {
  prepare();
  ensure_start(ts);
  PetscBool fixed = PETSC_FALSE;
  petsc_check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts->adapt), TSADAPTNONE, &fixed),
              "PetscObjectTypeCompare");
  PetscBool accepted = PETSC_TRUE;
  PetscInt rejections = 0;
  for (;;) {
    const double h = ts->time_step;
    attempt(ts, h, !fixed);
    PetscReal next_h = h;
    petsc_check(TSAdaptCandidatesClear(ts->adapt), "TSAdaptCandidatesClear");
    petsc_check(TSAdaptCandidateAdd(ts->adapt, ts_etdrk4, 4, 1, 1.0, 4.0, PETSC_TRUE),
                "TSAdaptCandidateAdd");
    petsc_check(TSAdaptChoose(ts->adapt, ts, h, nullptr, &next_h, &accepted), "TSAdaptChoose");
    if (accepted) {
      accept(ts);
      ts->ptime += h;
      ts->time_step = on_grid(ts, next_h);
      return;
    }
    if (starting) next_h = start_up_step(ts, h, rejections > 0);
    ts->time_step = on_grid(ts, next_h);
    ts->reject++;
    if (++rejections > ts->max_reject && ts->max_reject >= 0) {
      ts->reason = TS_DIVERGED_STEP_REJECTED;
      return;
    }
  }
}

template <class F>
PetscErrorCode guarded(F&& f) {
  return petsc_guarded("etdrk4", std::forward<F>(f));
}

EtdData* data_of(TS ts) { return static_cast<EtdData*>(ts->data); }

PetscErrorCode step_etdrk4(TS ts) {
  return guarded([&] { data_of(ts)->step(ts); });
}
PetscErrorCode set_up_etdrk4(TS ts) {
  return guarded([&] {
    data_of(ts)->prepare();
    petsc_check(TSGetAdapt(ts, &ts->adapt), "TSGetAdapt");
  });
}
PetscErrorCode reset_etdrk4(TS ts) {
  data_of(ts)->have_start = false;
  return 0;
}
PetscErrorCode destroy_etdrk4(TS ts) {
  delete data_of(ts);
  ts->data = nullptr;
  return 0;
}
PetscErrorCode evaluate_wlte_etdrk4(TS ts, NormType, PetscInt* order, PetscReal* wlte) {
  *order = 3;  // the estimate is O(h^3): the embedded second-order solution's local error
  *wlte = data_of(ts)->error_norm;
  return 0;
}
PetscErrorCode set_from_options_etdrk4(TS, PetscOptionItems*) { return 0; }
PetscErrorCode view_etdrk4(TS, PetscViewer viewer) {
  PetscBool ascii = PETSC_FALSE;
  PetscCall(
      PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  if (ascii)
    PetscCall(PetscViewerASCIIPrintf(
        viewer,
        "  ETDRK4 (Cox-Matthews): linear part exact per Fourier mode; error of the embedded "
        "exponential trapezoid, relative to the deviation from the mean\n"));
  return 0;
}

PetscErrorCode create_etdrk4(TS ts) {
  return guarded([&] {
    ts->data = new EtdData;
    ts->ops->step = step_etdrk4;
    ts->ops->setup = set_up_etdrk4;
    ts->ops->reset = reset_etdrk4;
    ts->ops->destroy = destroy_etdrk4;
    ts->ops->evaluatewlte = evaluate_wlte_etdrk4;
    ts->ops->setfromoptions = set_from_options_etdrk4;
    ts->ops->view = view_etdrk4;
    ts->default_adapt_type = TSADAPTBASIC;
    ts->usessnes = PETSC_FALSE;
  });
}

}  // namespace

void register_exponential_integrators() {
  static bool done = false;
  if (done) return;
  petsc_check(TSRegister(ts_etdrk4, create_etdrk4), "TSRegister etdrk4");
  done = true;
}

void attach_etd_operator(TS ts, EtdOperator* op) {
  PetscBool is_etd = PETSC_FALSE;
  petsc_check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), ts_etdrk4, &is_etd),
              "PetscObjectTypeCompare");
  if (!is_etd) return;
  auto* d = data_of(ts);
  d->op = op;
  d->u_hat.clear();
  d->have_start = false;
  d->starting = true;
}

void etd_state_unchanged(TS ts) {
  PetscBool is_etd = PETSC_FALSE;
  petsc_check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(ts), ts_etdrk4, &is_etd),
              "PetscObjectTypeCompare");
  if (!is_etd) return;
  auto* d = data_of(ts);
  if (d->have_start)
    petsc_check(PetscObjectStateGet(reinterpret_cast<PetscObject>(ts->vec_sol), &d->start_state),
                "PetscObjectStateGet");
}

}  // namespace dislo::detail
