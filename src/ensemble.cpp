#include "dislo/ensemble.hpp"

#include <fftw3.h>
#include <fmt/core.h>
#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <limits>
#include <memory>
#include <stdexcept>

#include "dislo/chaos.hpp"
#include "dislo/metrics.hpp"
#include "dislo/randomwalk.hpp"
#include "dislo/sde.hpp"

namespace dislo {

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

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
  const int W = 2 * K + 1;
  std::vector<std::complex<double>> c(std::size_t(W) * W);
  const double scale = 1.0 / (double(N) * N);
  for (int a = -K; a <= K; ++a)
    for (int b = -K; b <= K; ++b) {
      std::complex<double> v;
      if (b >= 0)
        v = out[std::size_t((a % N + N) % N) * Nc + b];
      else
        v = std::conj(out[std::size_t((-a % N + N) % N) * Nc + (-b)]);
      c[std::size_t(a + K) * W + (b + K)] = v * scale;
    }
  return c;
}

// Cell averages of a node field on the G x G cells [i/G, (i+1)/G): the mean of the
// samples at nodes a/N inside each cell (every cell holds one when G <= N).
std::vector<double> cell_average(const std::vector<double>& rho, int N, int G) {
  std::vector<double> out(std::size_t(G) * G, 0.0), count(out.size(), 0.0);
  for (int a = 0; a < N; ++a)
    for (int b = 0; b < N; ++b) {
      const std::size_t c = std::size_t(long(a) * G / N) * G + std::size_t(long(b) * G / N);
      out[c] += rho[std::size_t(a) * N + b];
      count[c] += 1;
    }
  for (std::size_t c = 0; c < out.size(); ++c) out[c] = count[c] > 0 ? out[c] / count[c] : 0.0;
  return out;
}

// PETSc log events: -log_view splits each ensemble stage into simulation and metrics.
struct Events {
  PetscLogEvent simulate = 0, metrics = 0;
  static const Events& get() {
    static const Events events = [] {
      Events e;
      PetscClassId id = 0;
      PetscClassIdRegister("dislo", &id);
      PetscLogEventRegister("DisloSimulate", id, &e.simulate);
      PetscLogEventRegister("DisloMetrics", id, &e.metrics);
      return e;
    }();
    return events;
  }
};

// Times a phase of a replica into a seconds counter and brackets it by its PETSc event.
class PhaseTimer {
 public:
  PhaseTimer(double& seconds, PetscLogEvent event)
      : seconds_(seconds), event_(event), start_(clock_type::now()) {
    PetscLogEventBegin(event_, 0, 0, 0, 0);
  }
  ~PhaseTimer() {
    seconds_ += seconds_since(start_);
    PetscLogEventEnd(event_, 0, 0, 0, 0);
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  double& seconds_;
  PetscLogEvent event_;
  clock_type::time_point start_;
};

// What one replica contributes: metric values, kappa, and integer law counts.
struct Tally {
  std::vector<std::int64_t> law[2], law_sq[2];  // [nt * G * G]
  std::vector<std::int64_t> pairs[2];           // [nt * nr]: 0 opposite, 1 equal
};

// Replica positions as doubles in [0, 1), whatever the engine.
struct Replica {
  std::vector<double> x, y;
  std::vector<std::int32_t> ix, iy;  // RW: sites
};

}  // namespace

EnsembleResult run_ensemble(MPI_Comm comm, const Study& study, ParticleModel model,
                            const Trajectory& reference, const Trajectory* continuum,
                            const EnsembleState* resume, const StopRequest& stop,
                            const ChaosForces* chaos) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const bool sde = model == ParticleModel::sde;
  const char* name = sde ? "sde" : "rw";
  const auto& times = study.run.times;
  const int nt = static_cast<int>(times.size());
  const bool automatic = study.run.replicas == "auto";
  const long R_cap = automatic ? study.run.max_replicas : std::stol(study.run.replicas);
  const long batch = automatic ? study.run.batch : R_cap;
  const long n = study.model.n;
  const MetricsParams& mp = study.metrics;
  const int H = mp.grid;
  const int L = study.model.lattice;
  const int G = sde ? mp.law_bins : L;  // law histogram grid
  const int nr = mp.pair_bins;

  // Comparisons: the model's own mean field, and for RW optionally MF too (Corollary
  // 1.8), named "mf/<kind>_<sign>". Metric m = (c nk + k) 2 + sign.
  std::vector<const Trajectory*> comparisons{&reference};
  if (continuum) comparisons.push_back(continuum);
  const int nk = static_cast<int>(mp.kinds.size());
  EnsembleResult result;
  for (std::size_t c = 0; c < comparisons.size(); ++c)
    for (const auto& k : mp.kinds)
      for (const char* s : {"plus", "minus"})
        result.metric_names.push_back((c ? "mf/" : "") + k + "_" + s);
  // The couplings' distances come after the metrics: metric index first_chaos + c.
  const int first_chaos = static_cast<int>(result.metric_names.size());
  const bool coupled =
      study.chaos.coupling && chaos && (sde ? chaos->mf != nullptr : chaos->mfeps != nullptr);
  const bool time_change = coupled && !sde && n <= study.chaos.time_change_max_n;
  if (coupled) {
    if (sde)
      result.metric_names.emplace_back("chaos/coupling");
    else
      result.metric_names.insert(result.metric_names.end(),
                                 {"chaos/thinning", "chaos/time_change"});
  }
  const int nm = static_cast<int>(result.metric_names.size());
  result.law_grid = G;

  // Reference measures at every output time, per comparison and sign (0: plus, 1: minus).
  const std::size_t nc = comparisons.size();
  std::vector<std::vector<GridMeasure>> ref_grid(2 * nc);
  std::vector<std::vector<std::vector<std::complex<double>>>> ref_hs(2 * nc);
  std::vector<std::vector<double>> ref_law[2];
  const SobolevNorm hs(mp.hs_order, mp.hs_modes);
  auto wants = [&](const char* kind) {
    return std::find(mp.kinds.begin(), mp.kinds.end(), kind) != mp.kinds.end();
  };
  const bool want_hs = wants("hs"), want_w1 = wants("w1"), want_bl = wants("bl");
  for (std::size_t c = 0; c < nc; ++c) {
    const Trajectory& tr = *comparisons[c];
    for (int t = 0; t < nt; ++t)
      for (int s = 0; s < 2; ++s) {
        const auto& field = s == 0 ? tr.plus[t] : tr.minus[t];
        ref_grid[2 * c + s].push_back(tr.lattice ? bin_density(field, tr.N, H)
                                                 : cell_masses_spectral(field, tr.N, H));
        ref_hs[2 * c + s].push_back(want_hs ? field_coefficients(field, tr.N, mp.hs_modes)
                                            : std::vector<std::complex<double>>{});
        if (c == 0) ref_law[s].push_back(cell_average(field, tr.N, G));
      }
  }

  // SDE replicas may be shared by groups of ranks (run.ranks_per_replica): the group's
  // first rank takes replicas from the counter and keeps the tallies, all of it moves the
  // particles and computes the metrics. RW replicas are sequential jump chains and run one per
  // rank.
  const int per_replica = sde ? study.run.ranks_per_replica : 1;
  if (size % per_replica != 0)
    throw InputError(fmt::format("{}: run.ranks_per_replica = {} does not divide the {} MPI ranks",
                                 study.source, per_replica, size));
  struct Group {
    MPI_Comm comm = MPI_COMM_SELF;
    ~Group() {
      if (comm != MPI_COMM_SELF) MPI_Comm_free(&comm);
    }
  } group;
  if (per_replica > 1) MPI_Comm_split(comm, rank / per_replica, rank, &group.comm);
  const bool leader = rank % per_replica == 0;

  TransportSolver solver(H, mp.stencil);
  std::unique_ptr<SdeEngine> sde_engine;
  std::unique_ptr<LatticeWalk> walk;
  std::unique_ptr<CoupledWalks> thinning, time_changed;
  if (sde) {
    sde_engine = std::make_unique<SdeEngine>(study, group.comm);
    if (coupled) sde_engine->couple(chaos->mf);
  } else {
    walk = make_lattice_walk(study);
    if (coupled)
      thinning = std::make_unique<CoupledWalks>(study, *chaos->mfeps, CoupledWalks::Kind::thinning);
    if (time_change)
      time_changed =
          std::make_unique<CoupledWalks>(study, *chaos->mfeps, CoupledWalks::Kind::time_change);
  }

  Tally tally;
  for (int s = 0; s < 2; ++s) {
    tally.law[s].assign(std::size_t(nt) * G * G, 0);
    tally.law_sq[s].assign(std::size_t(nt) * G * G, 0);
    tally.pairs[s].assign(std::size_t(nt) * nr, 0);
  }
  if (resume && rank == 0) {
    for (int s = 0; s < 2; ++s) {
      if (resume->law[s].size() != tally.law[s].size() ||
          resume->pairs[s].size() != tally.pairs[s].size())
        throw std::runtime_error("run_ensemble: the saved state does not fit this study");
      tally.law[s] = resume->law[s];
      tally.law_sq[s] = resume->law_sq[s];
      tally.pairs[s] = resume->pairs[s];
    }
    result.work = resume->work;
    result.seconds_simulate = resume->seconds_simulate;
    result.seconds_metrics = resume->seconds_metrics;
  }
  std::vector<std::int64_t> replica_counts(std::size_t(G) * G);
  const int row_len = 1 + nm * nt;  // kappa, then metric m at time t: 1 + m * nt + t
  std::vector<double> rows;         // this rank's rows
  std::vector<std::int64_t> ids;    // and their replica ids

  // The dynamic counter: next replica id, fetched-and-incremented atomically.
  std::int64_t* counter = nullptr;
  MPI_Win win;
  MPI_Win_allocate(rank == 0 ? sizeof(std::int64_t) : 0, sizeof(std::int64_t), MPI_INFO_NULL, comm,
                   &counter, &win);
  if (rank == 0) *counter = 0;
  MPI_Barrier(comm);
  // A stop request adds kStopBit to the counter: every rank then sees it at its next
  // fetch, finishes nothing more, and the round ends with the replicas in flight done.
  constexpr std::int64_t kStopBit = std::int64_t(1) << 50;
  double longest_replica = 0;
  auto fetch_add = [&](std::int64_t add) {
    std::int64_t got = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
    MPI_Fetch_and_op(&add, &got, MPI_INT64_T, 0, 0, MPI_SUM, win);
    MPI_Win_unlock(0, win);
    return got;
  };
  auto next_replica = [&]() -> std::int64_t {
    if (stop && stop(longest_replica)) fetch_add(kStopBit);
    const std::int64_t got = fetch_add(1);
    return got >= kStopBit ? std::numeric_limits<std::int64_t>::max() / 2 : got;
  };
  // A group's ranks share the metrics of a replica. The tasks are (part, sign s,
  // comparison c): part 0 the transport metrics (w1 and bl share their flow solves), part 1
  // hs (far cheaper), numbered q = (part 2 + s) nc + c so that the costly ones spread
  // first. Task q goes to group rank (q + 1) mod group size, the leader last: it also keeps
  // the law and pair tallies.
  int group_rank = 0;
  MPI_Comm_rank(group.comm, &group_rank);
  const std::size_t parts = (want_w1 || want_bl) && want_hs ? 2 : 1;
  const int hs_part = parts == 2 ? 1 : 0;
  auto part_of = [&](int k) { return mp.kinds[k] == "hs" ? hs_part : 0; };
  auto owner = [&](int s, std::size_t c, int part) {
    const std::size_t q = (std::size_t(part) * 2 + std::size_t(s)) * nc + c;
    return int((q + 1) % std::size_t(per_replica));
  };
  auto owns = [&](int s, std::size_t c, int part) { return owner(s, c, part) == group_rank; };
  auto metric_index = [&](int s, std::size_t c, int k, int t) {
    return std::size_t(1 + ((int(c) * nk + k) * 2 + s) * nt + t);
  };
  // The group's leader takes the replica; the group runs it.
  auto next_for_group = [&]() -> std::int64_t {
    std::int64_t v = leader ? next_replica() : 0;
    if (per_replica > 1) MPI_Bcast(&v, 1, MPI_INT64_T, 0, group.comm);
    return v;
  };

  const auto start = clock_type::now();
  auto last_log = start;
  Replica rep;
  auto simulate = [&](std::int64_t r) {
    if (rank == 0 && seconds_since(last_log) >= 5) {
      last_log = clock_type::now();
      const double el = seconds_since(start), rate = double(r) / std::max(el, 1e-9);
      fmt::print("{:>5}: {} replicas started ({} at most), {:.2f}/s, ETA {:.0f} s\n", name, r,
                 R_cap, rate, double(R_cap - r) / std::max(rate, 1e-9));
      std::fflush(stdout);
    }
    std::vector<double> row(std::size_t(row_len), 0.0);
    // In a group, the ranks other than the leader write their metric values here.
    std::vector<double> shared(per_replica > 1 ? std::size_t(row_len) : 0, 0.0);
    long n_plus = 0;
    const auto replica_start = clock_type::now();
    const Events& events = Events::get();
    {
      const PhaseTimer timer(result.seconds_simulate, events.simulate);
      if (sde) {
        sde_engine->start(std::uint64_t(r));
        row[0] = sde_engine->kappa();
        n_plus = sde_engine->signs().n_plus;
      } else {
        walk->start(std::uint64_t(r));
        row[0] = walk->kappa();
        n_plus = walk->signs().n_plus;
        for (auto* pair : {thinning.get(), time_changed.get()})
          if (pair) pair->start(std::uint64_t(r), walk->signs(), walk->x(), walk->y());
      }
    }
    for (int t = 0; t < nt; ++t) {
      {
        const PhaseTimer timer(result.seconds_simulate, events.simulate);
        const auto chaos_value = [&](int c) -> double& {
          return row[std::size_t(1 + (first_chaos + c) * nt + t)];
        };
        if (sde) {
          sde_engine->advance_to(times[t]);
          rep.x.assign(sde_engine->x().begin(), sde_engine->x().end());
          rep.y.assign(sde_engine->y().begin(), sde_engine->y().end());
          if (coupled) chaos_value(0) = sde_engine->coupling_distance();
        } else {
          if (thinning) {
            thinning->advance_to(times[t]);
            chaos_value(0) = thinning->distance();
          }
          if (coupled) {
            if (time_changed) time_changed->advance_to(times[t]);
            chaos_value(1) =
                time_changed ? time_changed->distance() : std::numeric_limits<double>::quiet_NaN();
          }
          walk->advance_to(times[t]);
          rep.ix.assign(walk->x().begin(), walk->x().end());
          rep.iy.assign(walk->y().begin(), walk->y().end());
          rep.x.resize(rep.ix.size());
          rep.y.resize(rep.iy.size());
          for (std::size_t i = 0; i < rep.ix.size(); ++i) {
            rep.x[i] = double(rep.ix[i]) / L;
            rep.y[i] = double(rep.iy[i]) / L;
          }
        }
      }
      const PhaseTimer timer(result.seconds_metrics, events.metrics);
      for (int s = 0; s < 2; ++s) {
        const long lo = s == 0 ? 0 : n_plus, hi = s == 0 ? n_plus : n;
        const std::span<const double> px(rep.x.data() + lo, std::size_t(hi - lo));
        const std::span<const double> py(rep.y.data() + lo, std::size_t(hi - lo));
        const double w = 1.0 / double(n);
        bool transport_mine = false, hs_mine = false;
        for (std::size_t c = 0; c < nc; ++c) {
          transport_mine = transport_mine || owns(s, c, 0);
          hs_mine = hs_mine || owns(s, c, hs_part);
        }
        GridMeasure atoms;
        if (transport_mine && (want_w1 || want_bl))
          atoms = sde ? bin_points(px, py, w, H)
                      : bin_sites(std::span(rep.ix.data() + lo, std::size_t(hi - lo)),
                                  std::span(rep.iy.data() + lo, std::size_t(hi - lo)), L, w, H);
        std::vector<std::complex<double>> coefficients;
        if (hs_mine && want_hs) coefficients = hs.atoms(px, py, w);
        for (std::size_t c = 0; c < nc; ++c) {
          TransportSolver::Distances d;
          if ((want_w1 || want_bl) && owns(s, c, 0))
            d = solver.distances(atoms, ref_grid[2 * c + s][t], want_w1, want_bl, kBlTolerance);
          for (int k = 0; k < nk; ++k) {
            if (!owns(s, c, part_of(k))) continue;
            const std::string& kind = mp.kinds[k];
            const double v = kind == "hs"   ? hs.distance(coefficients, ref_hs[2 * c + s][t])
                             : kind == "w1" ? d.w1
                                            : d.bl;
            (leader ? row : shared)[metric_index(s, c, k, t)] = v;
          }
        }
        if (!leader) continue;
        // Law: occupation counts of the G x G cells (RW: sites).
        std::fill(replica_counts.begin(), replica_counts.end(), 0);
        for (long i = lo; i < hi; ++i) {
          const int a = sde ? std::min(G - 1, int(rep.x[i] * G)) : rep.ix[i];
          const int b = sde ? std::min(G - 1, int(rep.y[i] * G)) : rep.iy[i];
          ++replica_counts[std::size_t(a) * G + b];
        }
        const std::size_t off = std::size_t(t) * G * G;
        for (std::size_t q = 0; q < replica_counts.size(); ++q) {
          tally.law[s][off + q] += replica_counts[q];
          tally.law_sq[s][off + q] += replica_counts[q] * replica_counts[q];
        }
      }
      if (!leader) continue;
      // Pair distances, by class (opposite / equal signs).
      const double all_pairs = 0.5 * double(n) * double(n - 1);
      const long offsets =
          all_pairs <= kMaxPairs ? n / 2 : std::max(1L, long(kMaxPairs / double(n)));
      const double bins_per_length = nr / kMaxDistance;
      auto add_pair = [&](long i, long j) {
        // Positions lie in [0, 1): the minimum image by comparisons (round() is a call).
        double dx = rep.x[i] - rep.x[j], dy = rep.y[i] - rep.y[j];
        dx += double(dx < -0.5) - double(dx > 0.5);
        dy += double(dy < -0.5) - double(dy > 0.5);
        // sqrt, not hypot: no overflow is possible here, and it is several times faster.
        const int bin = std::min(nr - 1, int(std::sqrt(dx * dx + dy * dy) * bins_per_length));
        const int cls = ((i < n_plus) == (j < n_plus)) ? 1 : 0;
        ++tally.pairs[cls][std::size_t(t) * nr + bin];
      };
      for (long o = 1; o <= offsets; ++o) {
        // With n even, offset n/2 pairs each couple twice: keep one.
        const long last = 2 * o == n ? n / 2 : n;
        for (long i = 0; i < last; ++i) add_pair(i, i + o < n ? i + o : i + o - n);
      }
    }
    if (per_replica > 1) {
      // The group's metric values to its leader: each entry has one writer, so the sum of
      // the others' rows is exact.
      MPI_Reduce(leader ? MPI_IN_PLACE : shared.data(), shared.data(), int(shared.size()),
                 MPI_DOUBLE, MPI_SUM, 0, group.comm);
      if (leader)
        for (int s = 0; s < 2; ++s)
          for (std::size_t c = 0; c < nc; ++c)
            for (int k = 0; k < nk; ++k)
              if (owner(s, c, part_of(k)) != 0)
                for (int t = 0; t < nt; ++t)
                  row[metric_index(s, c, k, t)] = shared[metric_index(s, c, k, t)];
    }
    if (leader) {
      result.work += sde ? sde_engine->particle_steps() : walk->events();
      rows.insert(rows.end(), row.begin(), row.end());
      ids.push_back(r);
    }
    longest_replica = std::max(longest_replica, seconds_since(replica_start));
  };

  // Rounds of replicas [done, round_end): the shared counter hands them out; after each
  // round rank 0 holds every row in replica order and decides (replicas = "auto") whether
  // every metric's standard error is below the target. The decision depends only on
  // replica results, so it is the same on any number of ranks.
  std::vector<double> ordered;  // rank 0: rows of replicas [0, done)
  long done = 0;
  // Replicas of the current round finished before an interruption (resume): skipped.
  std::vector<std::int64_t> finished;
  if (resume) {
    done = resume->done;
    finished = resume->partial;
    if (rank == 0) ordered = resume->rows;
  }
  bool interrupted = false;
  for (bool run_rounds = !(resume && resume->complete); run_rounds;) {
    const long round_end = std::min(done + batch, R_cap);
    MPI_Barrier(comm);
    if (rank == 0) {
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
      *counter = 0;
      MPI_Win_unlock(0, win);
    }
    MPI_Barrier(comm);
    for (std::int64_t v = next_for_group(); done + v < round_end; v = next_for_group())
      if (std::find(finished.begin(), finished.end(), done + v) == finished.end())
        simulate(done + v);
    // This round's rows to rank 0, placed by replica id.
    const int mine = static_cast<int>(ids.size());
    std::vector<int> counts(size), displs(size), rcounts(size), rdispls(size);
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
    const long in_round = round_end - done;
    std::vector<std::int64_t> round_ids(rank == 0 ? std::size_t(in_round) : 0);
    std::vector<double> round_rows(rank == 0 ? std::size_t(in_round) * row_len : 0);
    // Interrupted? The counter says so once every rank has left the round.
    MPI_Barrier(comm);
    if (rank == 0) {
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
      interrupted = *counter >= kStopBit;
      MPI_Win_unlock(0, win);
    }
    int flag = interrupted ? 1 : 0;
    MPI_Bcast(&flag, 1, MPI_INT, 0, comm);
    interrupted = flag != 0;
    if (rank == 0)
      for (int p = 0; p < size; ++p) {
        displs[p] = p ? displs[p - 1] + counts[p - 1] : 0;
        rcounts[p] = counts[p] * row_len;
        rdispls[p] = displs[p] * row_len;
      }
    MPI_Gatherv(ids.data(), mine, MPI_INT64_T, round_ids.data(), counts.data(), displs.data(),
                MPI_INT64_T, 0, comm);
    MPI_Gatherv(rows.data(), mine * row_len, MPI_DOUBLE, round_rows.data(), rcounts.data(),
                rdispls.data(), MPI_DOUBLE, 0, comm);
    int received = 0;  // rows gathered this round (rank 0)
    if (rank == 0)
      for (int p = 0; p < size; ++p) received += counts[p];
    ids.clear();
    rows.clear();
    int enough = 1;
    if (rank == 0) {
      ordered.resize(std::size_t(round_end) * row_len);
      for (long k = 0; k < received; ++k)
        std::copy_n(&round_rows[std::size_t(k) * row_len], row_len,
                    &ordered[std::size_t(round_ids[k]) * row_len]);
    }
    if (interrupted) {
      // The replicas of this round finished so far, on every rank: earlier ones and new.
      int count = received;
      MPI_Bcast(&count, 1, MPI_INT, 0, comm);
      std::vector<std::int64_t> now(round_ids.begin(), round_ids.begin() + (rank == 0 ? count : 0));
      now.resize(std::size_t(count));
      MPI_Bcast(now.data(), count, MPI_INT64_T, 0, comm);
      finished.insert(finished.end(), now.begin(), now.end());
      std::sort(finished.begin(), finished.end());
      break;
    }
    finished.clear();
    if (rank == 0) {
      if (automatic && round_end < R_cap) {
        // Standard error of every metric at every time over replicas [0, round_end).
        double worst = 0;
        for (int c = 1; c < row_len; ++c) {
          double sum = 0, sq = 0;
          for (long r = 0; r < round_end; ++r) sum += ordered[std::size_t(r) * row_len + c];
          const double mean = sum / double(round_end);
          for (long r = 0; r < round_end; ++r) {
            const double d = ordered[std::size_t(r) * row_len + c] - mean;
            sq += d * d;
          }
          worst = std::max(worst, round_end > 1
                                      ? std::sqrt(sq / double(round_end - 1) / double(round_end))
                                      : std::numeric_limits<double>::infinity());
        }
        enough = worst <= study.run.target_stderr ? 1 : 0;
        fmt::print("{:>5}: {} replicas, largest standard error {:.3e} (target {:.3e})\n", name,
                   round_end, worst, study.run.target_stderr);
        std::fflush(stdout);
      }
    }
    MPI_Bcast(&enough, 1, MPI_INT, 0, comm);
    done = round_end;
    if (enough) run_rounds = false;
  }
  const long R = done;
  MPI_Win_free(&win);

  for (int s = 0; s < 2; ++s) {
    auto reduce = [&](std::vector<std::int64_t>& v) {
      std::vector<std::int64_t> sum(rank == 0 ? v.size() : 0);
      MPI_Reduce(v.data(), sum.data(), int(v.size()), MPI_INT64_T, MPI_SUM, 0, comm);
      v.swap(sum);
    };
    reduce(tally.law[s]);
    reduce(tally.law_sq[s]);
    reduce(tally.pairs[s]);
  }
  double local[2] = {result.seconds_simulate, result.seconds_metrics}, global[2] = {0, 0};
  MPI_Reduce(local, global, 2, MPI_DOUBLE, MPI_SUM, 0, comm);
  result.seconds_simulate = global[0];
  result.seconds_metrics = global[1];
  unsigned long long work = result.work, work_sum = 0;
  MPI_Reduce(&work, &work_sum, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, comm);
  result.work = work_sum;
  result.replicas = R;
  result.interrupted = interrupted;
  EnsembleState& state = result.state;
  state.complete = !interrupted;
  state.done = done;
  state.partial = interrupted ? finished : std::vector<std::int64_t>{};
  if (rank == 0) {
    state.rows = ordered;
    for (int s = 0; s < 2; ++s) {
      state.law[s] = tally.law[s];
      state.law_sq[s] = tally.law_sq[s];
      state.pairs[s] = tally.pairs[s];
    }
    state.work = result.work;
    state.seconds_simulate = result.seconds_simulate;
    state.seconds_metrics = result.seconds_metrics;
  }
  if (rank != 0 || interrupted) return result;

  // Statistics in replica order.
  result.kappa.resize(std::size_t(R));
  for (long r = 0; r < R; ++r) result.kappa[r] = ordered[std::size_t(r) * row_len];
  result.values.assign(nm, std::vector<double>(std::size_t(R) * nt));
  result.mean.assign(std::size_t(nm) * nt, 0.0);
  result.stderr_.assign(std::size_t(nm) * nt, 0.0);
  for (int m = 0; m < nm; ++m)
    for (int t = 0; t < nt; ++t) {
      double sum = 0;
      for (long r = 0; r < R; ++r) {
        const double v = ordered[std::size_t(r) * row_len + 1 + m * nt + t];
        result.values[m][std::size_t(r) * nt + t] = v;
        sum += v;
      }
      const double mean = sum / double(R);
      double sq = 0;
      for (long r = 0; r < R; ++r) {
        const double d = result.values[m][std::size_t(r) * nt + t] - mean;
        sq += d * d;
      }
      result.mean[std::size_t(m) * nt + t] = mean;
      result.stderr_[std::size_t(m) * nt + t] =
          R > 1 ? std::sqrt(sq / double(R - 1) / double(R)) : 0.0;
    }

  // Laws: densities w.r.t. nu (SDE cells of area 1/G^2) or nu_eps (RW sites, eps^2).
  const double area = 1.0 / (double(G) * G);
  const double scale = 1.0 / (double(n) * area);  // one particle's density in a cell
  for (int s = 0; s < 2; ++s) {
    auto& law = s == 0 ? result.law_plus : result.law_minus;
    law.resize(std::size_t(nt) * G * G);
    result.law_l2[s].resize(nt);
    result.law_l2_stderr[s].resize(nt);
    result.law_chi2[s].assign(nt, 0.0);
    result.law_cells[s].assign(nt, 0.0);
    for (int t = 0; t < nt; ++t) {
      double d2 = 0;
      std::vector<double> diff(std::size_t(G) * G), var(std::size_t(G) * G);
      for (std::size_t q = 0; q < std::size_t(G) * G; ++q) {
        const std::size_t k = std::size_t(t) * G * G + q;
        const double c = double(tally.law[s][k]), c2 = double(tally.law_sq[s][k]);
        const double f = c / double(R) * scale;
        law[k] = f;
        diff[q] = f - ref_law[s][t][q];
        d2 += area * diff[q] * diff[q];
        // Variance of the replica mean of the per-replica density in this cell.
        const double m1 = c / double(R), m2 = c2 / double(R);
        var[q] =
            R > 1 ? (m2 - m1 * m1) * double(R) / double(R - 1) * scale * scale / double(R) : 0.0;
      }
      for (std::size_t q = 0; q < diff.size(); ++q)
        if (var[q] > 0) {
          result.law_chi2[s][t] += diff[q] * diff[q] / var[q];
          result.law_cells[s][t] += 1;
        }
      const double D = std::sqrt(d2);
      double se2 = 0;
      if (D > 0)
        for (std::size_t q = 0; q < diff.size(); ++q)
          se2 += std::pow(area * diff[q] / D, 2) * var[q];
      result.law_l2[s][t] = D;
      result.law_l2_stderr[s][t] = std::sqrt(se2);
    }
  }
  result.r.resize(nr);
  const double dr = kMaxDistance / nr;
  for (int b = 0; b < nr; ++b) result.r[b] = (b + 0.5) * dr;
  for (int cls = 0; cls < 2; ++cls) {
    auto& out = cls == 0 ? result.pair_opposite : result.pair_equal;
    out.resize(std::size_t(nt) * nr);
    for (int t = 0; t < nt; ++t) {
      double total = 0;
      for (int b = 0; b < nr; ++b) total += double(tally.pairs[cls][std::size_t(t) * nr + b]);
      for (int b = 0; b < nr; ++b)
        out[std::size_t(t) * nr + b] =
            total > 0 ? double(tally.pairs[cls][std::size_t(t) * nr + b]) / (total * dr)
                      : std::numeric_limits<double>::quiet_NaN();
    }
  }
  return result;
}

}  // namespace dislo
