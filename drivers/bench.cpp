// dislo-bench: the performance figures of docs/performance.md (contract.md, "Benchmarks").
// Google Benchmark; each benchmark reports the user counter `rate` (items per second).
#include <benchmark/benchmark.h>
#include <petscsys.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <string>
#include <type_traits>

#include "dislo/chaos.hpp"
#include "dislo/config.hpp"
#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/metrics.hpp"
#include "dislo/randomwalk.hpp"
#include "dislo/run.hpp"
#include "dislo/sde.hpp"
#include "dislo/semidiscrete.hpp"

namespace {

dislo::Study bench_study(int M, int L) {
  dislo::Study s = dislo::load_study("");
  s.mf.M = M;
  s.model.lattice = L;
  s.model.delta = 1.0 / 16;
  return s;
}

// A mean-field solver's initial state as one vector (rho+ then rho-), the layout the
// right-hand sides take.
template <class Solver>
std::vector<double> initial_state(const Solver& solver) {
  const std::size_t n = solver.grid().real_size();
  std::vector<double> u(2 * n);
  std::copy(solver.rho(+1).begin(), solver.rho(+1).end(), u.begin());
  std::copy(solver.rho(-1).begin(), solver.rho(-1).end(), u.begin() + n);
  return u;
}

// One evaluation of the MF drift (the explicit part; the implicit part is diagonal).
void mf_rhs(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0));
  const dislo::Study study = bench_study(M, 128);
  dislo::MeanField mf(PETSC_COMM_WORLD, study, dislo::Kernel(study.kernel, study.model.delta));
  mf.set_initial(dislo::InitialDensity(study.initial));
  std::vector<double> u = initial_state(mf), g(u.size());
  for (auto _ : state) {
    mf.drift(u.data(), g.data());
    benchmark::DoNotOptimize(g.data());
  }
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// Strong scaling of MF: a fixed number (20) of right-hand-side evaluations of the M x M
// problem on all ranks together; rate = evaluations per second of the whole problem
// (tools and jobscripts/scaling.sbatch compare 1 and 2 ranks).
void mf_strong(benchmark::State& state) {
  const int M = static_cast<int>(state.range(0));
  const dislo::Study study = bench_study(M, 128);
  dislo::MeanField mf(PETSC_COMM_WORLD, study, dislo::Kernel(study.kernel, study.model.delta));
  mf.set_initial(dislo::InitialDensity(study.initial));
  std::vector<double> u = initial_state(mf), g(u.size());
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  constexpr int kEvaluations = 20;
  for (auto _ : state) {
    MPI_Barrier(PETSC_COMM_WORLD);
    for (int k = 0; k < kEvaluations; ++k) mf.drift(u.data(), g.data());
    MPI_Barrier(PETSC_COMM_WORLD);
  }
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()) * kEvaluations, benchmark::Counter::kIsRate);
  state.counters["ranks"] = size;
}

// One evaluation of the full MFeps right-hand side (forces by FFT, rates, fluxes).
void mfeps_rhs(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0));
  const dislo::Study study = bench_study(256, L);
  dislo::LatticeMeanField mfeps(PETSC_COMM_WORLD, study,
                                dislo::Kernel(study.kernel, study.model.delta));
  mfeps.set_initial(dislo::InitialDensity(study.initial));
  std::vector<double> u = initial_state(mfeps), f(u.size());
  for (auto _ : state) {
    mfeps.rhs(u.data(), f.data());
    benchmark::DoNotOptimize(f.data());
  }
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// A scratch output path, the same on every rank (rank 0's process id).
std::string scratch(const char* what) {
  long id = getpid();
  MPI_Bcast(&id, 1, MPI_LONG, 0, PETSC_COMM_WORLD);
  return std::string("/tmp/dislo-bench-") + what + "-" + std::to_string(id) + ".h5";
}

// A mean-field model of the default study (MF on M x M, or MFeps on L x L) solved through
// the study's output times to T = 1 at rtol = 10^-k (atol 1e-16); time of the solve alone,
// counters: the max error at T against the same model at rtol 1e-7 (converged to about
// 1e-14, docs/performance.md), and the steps. tests/reference/mf_peer_table.py sets these
// beside the numpy ETDRK4 peer.
template <class Solver>
void mean_field_study(benchmark::State& state, bool lattice) {
  const int size = static_cast<int>(state.range(0));
  const double rtol = std::pow(10.0, -double(state.range(1)));
  dislo::Study study = bench_study(lattice ? 256 : size, lattice ? size : 128);
  const dislo::Kernel kernel(study.kernel, study.model.delta);
  auto solve = [&](double tolerance, double* seconds) {
    study.mf.rtol = study.mfeps.rtol = tolerance;
    study.mf.atol = study.mfeps.atol = 1e-16;
    Solver solver(PETSC_COMM_WORLD, study, kernel);
    solver.set_initial(dislo::InitialDensity(study.initial));
    const auto t0 = std::chrono::steady_clock::now();
    for (double t : study.run.times) solver.advance_to(t);
    if (seconds)
      *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> end(solver.rho(+1).begin(), solver.rho(+1).end());
    end.insert(end.end(), solver.rho(-1).begin(), solver.rho(-1).end());
    return std::make_pair(end, solver.stats().steps);
  };
  const auto reference = solve(1e-7, nullptr).first;
  double error = 0;
  long steps = 0;
  for (auto _ : state) {
    double seconds = 0;
    const auto [end, n] = solve(rtol, &seconds);
    state.SetIterationTime(seconds);
    steps = n;
    error = 0;
    for (std::size_t k = 0; k < end.size(); ++k)
      error = std::max(error, std::abs(end[k] - reference[k]));
  }
  state.counters["error"] = error;
  state.counters["steps"] = double(steps);
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
void mf_study(benchmark::State& state) { mean_field_study<dislo::MeanField>(state, false); }
void mfeps_study(benchmark::State& state) {
  mean_field_study<dislo::LatticeMeanField>(state, true);
}

// The README's main job at the keys' defaults (an empty study file: contract.md's values,
// not the first-run study of examples/default.toml), output to a scratch file.
void default_study(benchmark::State& state) {
  dislo::Study study = dislo::load_study("");
  study.run.output = scratch("default");
  for (auto _ : state) {
    dislo::Run run(PETSC_COMM_WORLD, study);
    const auto summary = run.run();
    state.counters["mf_seconds"] = summary.seconds_mf;
    state.counters["mfeps_seconds"] = summary.seconds_mfeps;
  }
  std::remove(study.run.output.c_str());
  std::remove((study.run.output.substr(0, study.run.output.size() - 3) + ".xmf").c_str());
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// The particle benchmarks' study (contract.md): L = 256, delta = 1/16, beta = 4, gaussian,
// n/2 of each sign, the default cosine initial densities.
dislo::Study particle_study(long n) {
  dislo::Study s = dislo::load_study("");
  s.model.n = n;
  s.model.n_plus = n / 2;
  s.model.lattice = 256;
  s.model.delta = 1.0 / 16;
  s.model.beta = 4;
  s.kernel = dislo::KernelKind::gaussian;
  return s;
}

// Events (jumps performed) per second of an exact RW simulator, one replica from its
// initial state; each iteration simulates a fixed stretch of time.
template <class Walk>
void rw_events(benchmark::State& state, double events_per_iteration) {
  const long n = state.range(0);
  Walk walk(particle_study(n));
  walk.start(0);
  // About events_per_iteration jumps per iteration: the total rate is about 4n/(beta eps^2).
  const double dt = events_per_iteration * 4.0 / (256.0 * 256.0) / (4.0 * double(n));
  const std::uint64_t before = walk.events();
  for (auto _ : state) walk.advance_to(walk.time() + dt);
  const double events = double(walk.events() - before);
  state.counters["rate"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["events"] = events;
  if constexpr (std::is_same_v<Walk, dislo::VetoWalk>) {
    state.counters["acceptance"] = events / double(walk.proposals());
    state.counters["partners_per_proposal"] = walk.mean_partners();
  }
}

void rw_exact(benchmark::State& state) { rw_events<dislo::VetoWalk>(state, 1e6); }
void rw_reference(benchmark::State& state) {
  rw_events<dislo::ReferenceWalk>(
      state, std::max(20.0, 2e7 / double(state.range(0) * state.range(0)) * 100));
}

// Particle-steps per second of Euler-Maruyama with the given force method; each iteration
// is one step of the whole replica.
void sde_steps(benchmark::State& state, const char* method) {
  const long n = state.range(0);
  dislo::Study study = particle_study(n);
  study.sde.force = method;
  dislo::SdeEngine sde(study);
  sde.start(0);
  for (auto _ : state) sde.advance_to(sde.time() + sde.step());
  state.counters["rate"] =
      benchmark::Counter(double(sde.particle_steps()), benchmark::Counter::kIsRate);
  state.counters["force_error_estimate"] = sde.force().error_estimate();
  if (auto* pm = dynamic_cast<const dislo::ParticleMesh*>(&sde.force())) {
    state.counters["mesh"] = pm->mesh().M;
    state.counters["order"] = pm->mesh().order;
  }
}

// Strong scaling of one replica shared by all ranks (run.ranks_per_replica = ranks):
// 10 Euler-Maruyama steps per iteration; rate = particle-steps per second of the replica.
void sde_strong(benchmark::State& state, const char* method) {
  const long n = state.range(0);
  dislo::Study study = particle_study(n);
  study.sde.force = method;
  dislo::SdeEngine sde(study, PETSC_COMM_WORLD);
  sde.start(0);
  constexpr int kSteps = 10;
  for (auto _ : state) {
    MPI_Barrier(PETSC_COMM_WORLD);
    sde.advance_to(sde.time() + kSteps * sde.step());
    MPI_Barrier(PETSC_COMM_WORLD);
  }
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  state.counters["rate"] =
      benchmark::Counter(double(sde.particle_steps()), benchmark::Counter::kIsRate);
  state.counters["ranks"] = size;
}
void sde_strong_pm(benchmark::State& state) { sde_strong(state, "pm"); }
void sde_strong_direct(benchmark::State& state) { sde_strong(state, "direct"); }

void sde_pm(benchmark::State& state) { sde_steps(state, "pm"); }
void sde_direct(benchmark::State& state) { sde_steps(state, "direct"); }

// The direct pair sum alone, pairs per second: the vectorised row loop (what sde_direct
// runs) against the loop that evaluates one pair at a time (DirectForce::Loop::scalar,
// the loop before vectorisation with today's radial factor), in the same run.
void direct_sum(benchmark::State& state, dislo::DirectForce::Loop loop) {
  const long n = state.range(0);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(n)), y(x.size()), fx(x.size()), fy(x.size());
  std::vector<int> b(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = u(rng), y[i] = u(rng), b[i] = i % 2 ? -1 : 1;
  dislo::DirectForce force(dislo::Kernel(dislo::KernelKind::gaussian, 1.0 / 16), loop);
  for (auto _ : state) {
    force.compute(x, y, b, fx, fy);
    benchmark::DoNotOptimize(fx.data());
  }
  const double pairs = double(n) * double(n - 1) / 2 * double(state.iterations());
  state.counters["rate"] = benchmark::Counter(pairs, benchmark::Counter::kIsRate);
}
void direct_sum_vectorised(benchmark::State& state) {
  direct_sum(state, dislo::DirectForce::Loop::vectorised);
}
void direct_sum_scalar(benchmark::State& state) {
  direct_sum(state, dislo::DirectForce::Loop::scalar);
}

// The couplings of docs/chaos.md, driven by the mean-field force of a cosine state
// (w = 0.5 cos(2 pi x), constant in time): SDE particle-steps/s with Xbar beside X, and
// events/s (X's and Xbar's jumps) of the two RW couplings, which keep X's forces exact
// with O(n) work per event.
void sde_coupled(benchmark::State& state) {
  const long n = state.range(0);
  dislo::Study study = particle_study(n);
  study.model.T = 1e6;  // the frames span every benchmark's time
  const dislo::Kernel kernel(study.kernel, study.model.delta);
  const int M = 128, frames = 4;
  dislo::ContinuumForce force(kernel, M, M / 3, study.model.T, frames);
  std::vector<double> plus(std::size_t(M) * M), minus(plus.size());
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j) {
      const double c = 0.25 * std::cos(2 * std::numbers::pi * i / M);
      plus[std::size_t(i) * M + j] = 0.5 + c;
      minus[std::size_t(i) * M + j] = 0.5 - c;
    }
  for (int f = 0; f <= frames; ++f) force.add_frame(plus, minus);
  dislo::SdeEngine sde(study);
  sde.couple(&force);
  sde.start(0);
  for (auto _ : state) sde.advance_to(sde.time() + sde.step());
  state.counters["rate"] =
      benchmark::Counter(double(sde.particle_steps()), benchmark::Counter::kIsRate);
}

// The MFeps state rho+- = (1 +- 0.5 cos(2 pi x))/2 as force frames, constant in time: its
// densities and g = grad V_delta * (rho+ - rho-) summed exactly on the lattice (g depends
// on x only, so O(L^3)).
dislo::LatticeForce cosine_lattice_force(const dislo::Study& study, int frames) {
  const int L = study.model.lattice;
  const dislo::LatticeGradient grad(dislo::Kernel::of(study), L);
  const std::size_t S = std::size_t(L) * L;
  std::vector<double> plus(S), minus(S), gx(S), gy(S), w(static_cast<std::size_t>(L));
  for (int i = 0; i < L; ++i) w[std::size_t(i)] = 0.5 * std::cos(2 * std::numbers::pi * i / L);
  for (int i = 0; i < L; ++i) {
    double ax = 0, ay = 0;
    for (int k = 0; k < L; ++k)
      for (int j = 0; j < L; ++j) {
        const double* v = grad.at(i - k, -j);
        ax += v[0] * w[std::size_t(k)];
        ay += v[1] * w[std::size_t(k)];
      }
    for (int j = 0; j < L; ++j) {
      const std::size_t s = std::size_t(i) * L + j;
      plus[s] = 1 + w[std::size_t(i)];  // densities of mass 1/2 each
      minus[s] = 1 - w[std::size_t(i)];
      gx[s] = ax / double(S);  // eps^2 sum_l' grad V (l - l') (rho+ - rho-)(l')
      gy[s] = ay / double(S);
    }
  }
  for (double& v : plus) v *= 0.5;
  for (double& v : minus) v *= 0.5;
  dislo::LatticeForce force(L, study.model.T, frames);
  for (int f = 0; f <= frames; ++f) force.add_frame(gx, gy, plus, minus);
  return force;
}

template <class Coupling, class... Kind>
void rw_coupled(benchmark::State& state, Kind... kind) {
  const long n = state.range(0);
  dislo::Study study = particle_study(n);
  study.model.T = 1e6;  // the frames span every benchmark's time
  const int L = study.model.lattice;
  const dislo::LatticeForce force = cosine_lattice_force(study, 4);
  dislo::VetoWalk walk(study);
  walk.start(0);
  Coupling pair(study, force, kind...);
  pair.start(0, walk.signs(), walk.x(), walk.y());
  // About 2e4 events per iteration: the total rate of X and Xbar is about 8n/(beta eps^2).
  const double dt = 2e4 * 4.0 / (double(L) * L) / (8.0 * double(n));
  for (auto _ : state) pair.advance_to(pair.time() + dt);
  state.counters["rate"] = benchmark::Counter(double(pair.events()), benchmark::Counter::kIsRate);
  state.counters["distance"] = pair.distance();
}
void rw_coupled_thinning(benchmark::State& state) {
  rw_coupled<dislo::CoupledWalks>(state, dislo::CoupledWalks::Kind::thinning);
}
void rw_coupled_time_change(benchmark::State& state) {
  rw_coupled<dislo::CoupledWalks>(state, dislo::CoupledWalks::Kind::time_change);
}
// The veto coupling (O(1) per event): events/s of X and Xbar.
void rw_coupled_fast(benchmark::State& state) { rw_coupled<dislo::VetoCoupledWalks>(state); }

// One distance between 1000 random atoms (mass 1/2) and a smooth density on the H x H grid.
std::pair<dislo::GridMeasure, dislo::GridMeasure> metric_case(int H) {
  const dislo::Study study = particle_study(1000);
  dislo::SdeEngine sde(study);
  sde.start(0);
  const auto atoms = dislo::bin_points(sde.x().subspan(0, 500), sde.y().subspan(0, 500), 1e-3, H);
  std::vector<double> rho(std::size_t(H) * H);
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < H; ++j)
      rho[std::size_t(i) * H + j] = 0.5 * (1 + 0.5 * std::cos(2 * std::numbers::pi * i / H));
  return {atoms, dislo::bin_density(rho, H, H)};
}

void metrics_w1(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0));
  const auto [a, b] = metric_case(H);
  dislo::TransportSolver solver(H);
  for (auto _ : state) benchmark::DoNotOptimize(solver.w1(a, b));
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void metrics_bl(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0));
  const auto [a, b] = metric_case(H);
  dislo::TransportSolver solver(H);
  const double tol = state.range(1) ? std::pow(10.0, -double(state.range(1))) : 0.0;
  for (auto _ : state) benchmark::DoNotOptimize(solver.bl(a, b, tol));
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["solves_per_call"] = double(solver.solves()) / double(state.iterations());
}

// w1 and bl together as ensembles compute them (one shared flow, bl to 1e-2 relative).
void metrics_distances(benchmark::State& state) {
  const int H = static_cast<int>(state.range(0));
  const auto [a, b] = metric_case(H);
  dislo::TransportSolver solver(H);
  for (auto _ : state) benchmark::DoNotOptimize(solver.distances(a, b, true, true, 1e-2));
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["solves_per_call"] = double(solver.solves()) / double(state.iterations());
}

// Certified w1 + bl of n atoms drawn from the smooth density 1 + 0.5 cos(2 pi x) (given
// by its Fourier samples, N = 64) against it, default tolerance: the regime of SDE
// against MF. Counters give the brackets' relative widths (issue 15's target: w1 within
// 0.02 up to n = 1e5, w1 + bl in one call < 10 s).
void metrics_certified(benchmark::State& state) {
  const long n = state.range(0);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto rho = [](double x) { return 1 + 0.5 * std::cos(2 * std::numbers::pi * x); };
  dislo::Atoms atoms;
  while (long(atoms.x.size()) < n) {
    const double x = u(rng), y = u(rng);
    if (1.5 * u(rng) > rho(x)) continue;
    atoms.x.push_back(x);
    atoms.y.push_back(y);
    atoms.w.push_back(1.0 / double(n));
  }
  const int N = 64;
  std::vector<double> samples(std::size_t(N) * N);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) samples[std::size_t(i) * N + j] = rho(double(i) / N);
  dislo::CertifiedDistances d;
  for (auto _ : state) d = dislo::certified_distances(atoms, samples, N);
  state.counters["rate"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["w1_width"] = d.w1.relative_width();
  state.counters["bl_width"] = d.bl.relative_width();
  state.counters["w1"] = d.w1.mid();
  state.counters["grid"] = d.grid;
}

// The example ensemble study (examples/ensemble.toml: MF, MFeps and 16 replicas per rank of
// SDE and RW, n = 400, all three metrics): replicas per second, the same replicas per rank
// on any number of ranks (weak scaling; tools/weak-scaling.sh compares 1 and 2 ranks).
void ensemble_study(benchmark::State& state) {
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  dislo::Study study = dislo::load_study(DISLO_SOURCE_DIR "/examples/ensemble.toml");
  study.run.replicas = std::to_string(16 * size);
  study.run.output = scratch("ensemble");
  double replicas = 0;
  for (auto _ : state) {
    dislo::Run run(PETSC_COMM_WORLD, study);
    const auto summary = run.run();
    replicas += 2.0 * 16 * size;  // SDE and RW
    state.counters["metrics_share"] =
        summary.seconds_metrics / std::max(summary.seconds_sde + summary.seconds_rw, 1e-300);
  }
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    std::remove(study.run.output.c_str());
    std::remove((study.run.output.substr(0, study.run.output.size() - 3) + ".xmf").c_str());
  }
  state.counters["rate"] = benchmark::Counter(replicas, benchmark::Counter::kIsRate);
  state.counters["ranks"] = size;
}

// The default ensemble study: the keys' defaults (an empty study file: n = 1000,
// L = 128, delta = 1/16, beta = 4, T = 1, five output times, all three metrics) with all
// four models, 8 replicas per rank of SDE and RW. Reports the split of the run time by
// phase; the ensemble issue's budget is metrics_share <= 0.25 (docs/ensembles.md).
void default_ensemble(benchmark::State& state) {
  int size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  dislo::Study study = dislo::load_study("");
  study.run.models = {"mf", "mfeps", "sde", "rw"};
  study.run.replicas = std::to_string(8 * size);
  study.run.output = scratch("default-ensemble");
  double replicas = 0;
  for (auto _ : state) {
    dislo::Run run(PETSC_COMM_WORLD, study);
    const auto s = run.run();
    replicas += 2.0 * 8 * size;
    // Phase seconds are per rank (metrics run inside the sde and rw phases).
    const double wall = s.wall_seconds;
    state.counters["metrics_share"] = s.seconds_metrics / wall;
    state.counters["simulate_share"] = (s.seconds_sde + s.seconds_rw - s.seconds_metrics) / wall;
    state.counters["meanfield_share"] = (s.seconds_mf + s.seconds_mfeps) / wall;
  }
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    std::remove(study.run.output.c_str());
    std::remove((study.run.output.substr(0, study.run.output.size() - 3) + ".xmf").c_str());
  }
  state.counters["rate"] = benchmark::Counter(replicas, benchmark::Counter::kIsRate);
  state.counters["ranks"] = size;
}

// Reports nothing: ranks other than 0 run the benchmarks silently.
class QuietReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

BENCHMARK(mf_rhs)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(mf_study)
    ->ArgsProduct({{256, 512}, {2, 3, 4}})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mfeps_study)
    ->ArgsProduct({{128, 256}, {2, 3, 4}})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(mf_strong)->Arg(1024)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(mfeps_rhs)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(rw_exact)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(rw_reference)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(sde_pm)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(sde_direct)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(direct_sum_vectorised)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(direct_sum_scalar)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(sde_strong_pm)->Arg(1000000)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(sde_strong_direct)
    ->Arg(2000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(sde_coupled)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(rw_coupled_thinning)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(rw_coupled_time_change)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(rw_coupled_fast)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(metrics_w1)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK(metrics_bl)
    ->Args({32, 0})
    ->Args({32, 3})
    ->Args({32, 2})
    ->Args({64, 0})
    ->Args({64, 3})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(metrics_distances)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(metrics_certified)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(30000)
    ->Arg(100000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(ensemble_study)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(default_ensemble)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(default_study)->Iterations(1)->Unit(benchmark::kSecond);

int main(int argc, char** argv) {
  // On several ranks only whole-study benchmarks run, unless --benchmark_filter names some.
  std::string whole_studies = "default_study|ensemble_study|default_ensemble|mf_strong|sde_strong";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i], key = "--benchmark_filter=";
    if (arg.rfind(key, 0) == 0) whole_studies = arg.substr(key.size());
  }
  benchmark::Initialize(&argc, argv);
  // Only PETSc options remain in argv now.
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 1;
  int rank = 0, size = 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  // The rhs figures are per core and pick their iteration counts from timings, which would
  // differ between ranks.
  QuietReporter quiet;
  benchmark::BenchmarkReporter* reporter = rank == 0 ? nullptr : &quiet;
  if (size > 1)
    benchmark::RunSpecifiedBenchmarks(reporter, whole_studies);
  else
    benchmark::RunSpecifiedBenchmarks(reporter);
  benchmark::Shutdown();
  PetscFinalize();
  return 0;
}
