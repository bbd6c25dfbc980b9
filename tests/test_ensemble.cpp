// The ensemble's parts: the metric plan (pure), the statistics, the scheduler with a fake
// replica on 1-4 ranks (every replica run once, rows in replica order, rounds, stop and
// resume, groups), the tally observers on hand-made configurations, and run_ensemble
// itself (interrupted and resumed = uninterrupted, the same bits on any number of ranks).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <numeric>
#include <set>

#include "dislo/ensemble.hpp"
#include "dislo/metric_plan.hpp"
#include "dislo/observers.hpp"
#include "dislo/scheduler.hpp"
#include "dislo/statistics.hpp"
#include "test_support.hpp"

using namespace dislo;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// ---------------------------------------------------------------- MetricPlan

TEST(MetricPlan, NamesAndSlotsFollowTheContract) {
  const MetricPlan plan({"bl", "w1", "hs"}, 2, {"chaos/thinning", "chaos/time_change"}, 3, 1);
  const std::vector<std::string> expected{
      "bl_plus", "bl_minus", "w1_plus", "w1_minus", "hs_plus", "hs_minus", "mf/bl_plus",
      "mf/bl_minus", "mf/w1_plus", "mf/w1_minus", "mf/hs_plus", "mf/hs_minus", "chaos/thinning",
      "chaos/time_change",
      // The brackets of the transport metrics, in the order of their metrics.
      "bl_plus/lower", "bl_plus/upper", "bl_minus/lower", "bl_minus/upper", "w1_plus/lower",
      "w1_plus/upper", "w1_minus/lower", "w1_minus/upper", "mf/bl_plus/lower", "mf/bl_plus/upper",
      "mf/bl_minus/lower", "mf/bl_minus/upper", "mf/w1_plus/lower", "mf/w1_plus/upper",
      "mf/w1_minus/lower", "mf/w1_minus/upper"};
  EXPECT_EQ(plan.names(), expected);
  EXPECT_EQ(plan.first_chaos(), 12);
  EXPECT_EQ(plan.row_length(), 1u + 30u * 3u);
  EXPECT_EQ(plan.bracket(plan.metric(1, 1, 0), 1), 27);  // mf/w1_plus/upper
  EXPECT_EQ(plan.bracket(plan.metric(0, 2, 0), 0), -1);  // hs has none
  // metric (c nk + k) 2 + s at slot 1 + m nt + t.
  EXPECT_EQ(plan.metric(1, 2, 1), 11);
  EXPECT_EQ(plan.names()[plan.metric(1, 1, 0)], "mf/w1_plus");
  EXPECT_EQ(plan.slot(11, 2), 1u + 11u * 3u + 2u);
}

TEST(MetricPlan, EveryTaskHasOneOwnerAndTheCostlyOnesSpreadFirst) {
  for (int group = 1; group <= 4; ++group)
    for (int comparisons = 1; comparisons <= 2; ++comparisons) {
      const MetricPlan plan({"bl", "w1", "hs"}, comparisons, {}, 2, group);
      EXPECT_EQ(plan.hs_part(), 1);
      std::vector<int> tasks_of(group, 0);
      for (int part = 0; part < 2; ++part)
        for (int s = 0; s < 2; ++s)
          for (int c = 0; c < comparisons; ++c) {
            const int owner = plan.owner(s, c, part);
            ASSERT_GE(owner, 0);
            ASSERT_LT(owner, group);
            ++tasks_of[owner];
          }
      // Tasks are dealt round robin from group rank 1: no rank has two more than another.
      const auto [lo, hi] = std::minmax_element(tasks_of.begin(), tasks_of.end());
      EXPECT_LE(*hi - *lo, 1) << "group " << group;
      // The first (transport) task never goes to the leader when there is another rank.
      if (group > 1) {
        EXPECT_EQ(plan.owner(0, 0, 0), 1);
      }
    }
}

TEST(MetricPlan, OneKindIsOnePart) {
  const MetricPlan hs_only({"hs"}, 1, {}, 1, 2);
  EXPECT_EQ(hs_only.hs_part(), 0);
  EXPECT_EQ(hs_only.part(0), 0);
  EXPECT_FALSE(hs_only.transport());
  const MetricPlan w1_only({"w1"}, 1, {}, 1, 2);
  EXPECT_TRUE(w1_only.transport());
  EXPECT_FALSE(w1_only.wants_bl());
  EXPECT_FALSE(w1_only.wants_hs());
  EXPECT_THROW(MetricPlan({"w1"}, 0, {}, 1, 1), std::invalid_argument);
}

// ---------------------------------------------------------------- statistics

TEST(Statistics, MeanAndStandardErrorOfAStridedColumn) {
  // Column 1 of rows of length 2: 1, 2, 3, 4; sample variance 5/3, stderr sqrt(5/12).
  const std::vector<double> rows{9, 1, 9, 2, 9, 3, 9, 4};
  const MeanStderr ms = mean_and_stderr(rows, 1, 2, 4);
  EXPECT_DOUBLE_EQ(ms.mean, 2.5);
  EXPECT_DOUBLE_EQ(ms.stderr_, std::sqrt(5.0 / 12.0));
  EXPECT_EQ(mean_and_stderr(rows, 1, 2, 1).stderr_, 0.0);
  EXPECT_TRUE(std::isnan(mean_and_stderr(rows, 1, 2, 0).mean));
}

// ---------------------------------------------------------------- ReplicaScheduler

constexpr std::size_t kRow = 3;
std::vector<double> fake_row(std::int64_t id) {
  return {double(id), double(id) * double(id), std::sqrt(double(id))};
}

// Runs a scheduler with the fake replica; counts on every rank how often each id ran.
struct FakeRun {
  std::vector<std::int64_t> ran;
  ReplicaScheduler::RunReplica replica() {
    return [this](std::int64_t id) {
      ran.push_back(id);
      return fake_row(id);
    };
  }
  // Every id run anywhere, over all ranks (rank 0).
  std::vector<std::int64_t> all(MPI_Comm comm) const {
    int mine = int(ran.size()), size = 1;
    MPI_Comm_size(comm, &size);
    std::vector<int> counts(size), displs(size);
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    std::partial_sum(counts.begin(), counts.end() - 1, displs.begin() + 1);
    std::vector<std::int64_t> out(std::size_t(displs.back() + counts.back()));
    MPI_Allgatherv(ran.data(), mine, MPI_INT64_T, out.data(), counts.data(), displs.data(),
                   MPI_INT64_T, comm);
    std::sort(out.begin(), out.end());
    return out;
  }
};

void expect_rows_in_order(const ReplicaScheduler& s, long replicas) {
  if (world_rank() != 0) return;
  ASSERT_GE(s.rows().size(), std::size_t(replicas) * kRow);
  for (long r = 0; r < replicas; ++r)
    for (std::size_t j = 0; j < kRow; ++j)
      ASSERT_EQ(s.rows()[std::size_t(r) * kRow + j], fake_row(r)[j]) << "replica " << r;
}

std::vector<std::int64_t> iota(long n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(ReplicaScheduler, RunsEveryReplicaOnceAndCollectsRowsInOrder) {
  ReplicaScheduler s(MPI_COMM_WORLD, MPI_COMM_SELF, {37, 37}, kRow);
  FakeRun fake;
  s.run(fake.replica(), nullptr, nullptr);
  EXPECT_FALSE(s.interrupted());
  EXPECT_EQ(s.done(), 37);
  EXPECT_EQ(fake.all(MPI_COMM_WORLD), iota(37));
  expect_rows_in_order(s, 37);
}

TEST(ReplicaScheduler, RoundsStopWhenTheRuleSaysEnough) {
  ReplicaScheduler s(MPI_COMM_WORLD, MPI_COMM_SELF, {100, 5}, kRow);
  FakeRun fake;
  std::vector<long> asked;
  s.run(
      fake.replica(),
      [&](std::span<const double> rows, long replicas) {
        asked.push_back(replicas);
        EXPECT_EQ(rows[std::size_t(replicas - 1) * kRow], double(replicas - 1));
        return replicas >= 15;
      },
      nullptr);
  EXPECT_EQ(s.done(), 15);
  EXPECT_EQ(fake.all(MPI_COMM_WORLD), iota(15));
  if (world_rank() == 0) {
    EXPECT_EQ(asked, (std::vector<long>{5, 10, 15}));
  }
  expect_rows_in_order(s, 15);
}

TEST(ReplicaScheduler, AStoppedRunResumesToTheSameRows) {
  ReplicaScheduler first(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 40}, kRow);
  FakeRun a;
  // A rank asks to stop once it has run a replica (so at most one per rank runs, whatever
  // the timing): the others finish what they hold.
  first.run(a.replica(), nullptr, [&](double) { return !a.ran.empty(); });
  ASSERT_TRUE(first.interrupted());
  EnsembleState state;
  first.save(state);
  EXPECT_FALSE(state.complete);
  const auto before = a.all(MPI_COMM_WORLD);
  EXPECT_EQ(state.partial, before);  // every finished replica is recorded, on every rank
  EXPECT_LT(before.size(), 40u);

  ReplicaScheduler second(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 40}, kRow);
  second.restore(state);
  FakeRun b;
  second.run(b.replica(), nullptr, nullptr);
  EXPECT_FALSE(second.interrupted());
  std::vector<std::int64_t> both = before;
  const auto after = b.all(MPI_COMM_WORLD);
  both.insert(both.end(), after.begin(), after.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, iota(40));  // none twice, none lost
  expect_rows_in_order(second, 40);
}

// A saved state that does not fit the study (an edited checkpoint that kept a valid
// checksum) is refused before anything indexes its rows or replica ids.
TEST(ReplicaScheduler, AStateThatDoesNotFitIsRefused) {
  ReplicaScheduler first(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 16}, kRow);
  FakeRun a;
  first.run(a.replica(), nullptr, [&](double) { return !a.ran.empty(); });
  EnsembleState good;
  first.save(good);
  ReplicaScheduler(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 16}, kRow).restore(good);
  auto refused = [](EnsembleState st) {
    ReplicaScheduler s(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 16}, kRow);
    EXPECT_THROW(s.restore(st), std::runtime_error);
  };
  EnsembleState st = good;
  st.done = 41;  // more than max_replicas
  refused(st);
  st = good;
  st.partial.push_back(1000);  // an id beyond the replicas taken
  refused(st);
  st = good;
  st.done = -1;
  refused(st);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {  // the rows live on rank 0
    st = good;
    st.rows.pop_back();  // not whole rows
    refused(st);
    st = good;
    st.rows.clear();  // fewer rows than replicas taken
    if (!good.partial.empty()) refused(st);
  }
}

// Goes of `per_go` replicas until 40 are done, in rounds of 16; returns every go's ids.
std::vector<std::vector<std::int64_t>> goes_of(long per_go) {
  std::vector<std::vector<std::int64_t>> goes;
  EnsembleState state;
  for (bool interrupted = true; interrupted && goes.size() < 50;) {
    ReplicaScheduler s(MPI_COMM_WORLD, MPI_COMM_SELF, {40, 16, per_go}, kRow);
    if (!goes.empty()) s.restore(state);
    FakeRun fake;
    s.run(
        fake.replica(), [](std::span<const double>, long) { return false; }, nullptr);
    goes.push_back(fake.all(MPI_COMM_WORLD));
    if (!(interrupted = s.interrupted())) expect_rows_in_order(s, 40);
    state = EnsembleState{};
    s.save(state);
  }
  return goes;
}

TEST(ReplicaScheduler, StopAfterRunsExactlyThatManyPerGoOnAnyRankCount) {
  // 7 per go: [0, 7), [7, 14), [14, 21) across a round's end, ..., [35, 40). 17 per go:
  // the first go ends just past a round's end, where the ranks' fetches overshoot.
  for (const long per_go : {7L, 17L}) {
    const auto goes = goes_of(per_go);
    ASSERT_EQ(long(goes.size()), (40 + per_go - 1) / per_go) << per_go;
    for (std::size_t g = 0; g < goes.size(); ++g) {
      std::vector<std::int64_t> expected(std::size_t(std::min(per_go, 40 - per_go * long(g))));
      std::iota(expected.begin(), expected.end(), per_go * long(g));
      EXPECT_EQ(goes[g], expected) << per_go << " per go, go " << g;
    }
  }
}

TEST(ReplicaScheduler, AGroupRunsEachReplicaTogether) {
  const int size = world_size();
  const int group_size = size % 2 == 0 ? 2 : 1;
  MPI_Comm group = MPI_COMM_SELF;
  if (group_size > 1) MPI_Comm_split(MPI_COMM_WORLD, world_rank() / 2, world_rank(), &group);
  {
    ReplicaScheduler s(MPI_COMM_WORLD, group, {23, 23}, kRow);
    FakeRun fake;
    s.run(fake.replica(), nullptr, nullptr);
    // Each member of a group ran the same replicas: every id appears group_size times.
    const auto all = fake.all(MPI_COMM_WORLD);
    EXPECT_EQ(all.size(), 23u * group_size);
    for (std::int64_t id = 0; id < 23; ++id)
      EXPECT_EQ(std::count(all.begin(), all.end(), id), group_size) << id;
    expect_rows_in_order(s, 23);
  }
  if (group != MPI_COMM_SELF) MPI_Comm_free(&group);
}

// ---------------------------------------------------------------- observers

Trajectory uniform_trajectory(int N, int times) {
  Trajectory tr;
  tr.N = N;
  tr.plus.assign(times, std::vector<double>(std::size_t(N) * N, 0.5));
  tr.minus = tr.plus;
  return tr;
}

TEST(PairObserver, HistogramsTheMinimumImageDistancesByClass) {
  // Three particles (+, +, -) on a line: |01| = 0.1, |02| = 0.3 (via the boundary), |12| = 0.4.
  const std::vector<double> x{0.05, 0.15, 0.75}, y{0.5, 0.5, 0.5};
  PairObserver pairs(7, 1);  // bins of width sqrt(2)/14 = 0.101
  std::vector<double> row(1);
  pairs.observe({0, 0, {x, y, {}, {}, 0, 3, 2}, {}, row});
  EnsembleResult result;
  pairs.finish(1, result);
  const double dr = result.r[1] - result.r[0];
  // Equal signs: the pair at 0.1 (bin 0); opposite: 0.3 (bin 2) and 0.4 (bin 3).
  EXPECT_DOUBLE_EQ(result.pair_equal[0], 1 / dr);
  EXPECT_DOUBLE_EQ(result.pair_opposite[2], 0.5 / dr);
  EXPECT_DOUBLE_EQ(result.pair_opposite[3], 0.5 / dr);
  EXPECT_DOUBLE_EQ(std::accumulate(result.pair_opposite.begin(), result.pair_opposite.end(), 0.0),
                   1 / dr);
}

TEST(ProgressObserver, RatesAndEtasCountOnlyThisProcessAndAddTheLaterPhases) {
  ProgressObserver fresh("sde", 100);
  EXPECT_EQ(fresh.line(10, 5.0), "  sde: 10 of 100 replicas started (10%), 2.00/s, ETA 45 s");
  // A resumed run on 2 ranks: 50 of 100 replicas were done before; this rank started 10
  // more and spent 5 s in their metrics. The later phase (40 replicas) is forecast at
  // 30 s of simulation and 40 x 0.5 s / 2 ranks of metrics.
  const double metrics_seconds = 5.0;
  ProgressObserver resumed("sde", 100, LaterPhases{30, 40, "rw"}, &metrics_seconds, 2);
  EnsembleState state;
  state.done = 48;
  state.partial = {48, 49};
  resumed.restore(state);
  EXPECT_EQ(resumed.line(50, 1.0), "");  // nothing started here yet: no rate to show
  for (std::int64_t id = 50; id < 60; ++id) {
    Observation o;
    o.replica = id;
    resumed.observe(o);
  }
  EXPECT_EQ(resumed.line(60, 10.0),
            "  sde: 60 of 100 replicas started (60%), 1.00/s, ETA 40 s; run ETA ~80 s (rw "
            "forecast)");
}

TEST(ForecastSeconds, FollowsTheWorkOfEachModel) {
  Study s = dislo::testing::particle_study(KernelKind::cai, 100, 50, 16, 0.25, 4);
  s.run.replicas = "8";
  for (const ParticleModel m : {ParticleModel::sde, ParticleModel::rw}) {
    const double one = forecast_seconds(s, m, 1);
    EXPECT_GT(one, 0);
    EXPECT_DOUBLE_EQ(forecast_seconds(s, m, 2), one / 2);  // replicas spread over ranks
    Study twice = s;
    twice.run.replicas = "16";
    EXPECT_DOUBLE_EQ(forecast_seconds(twice, m, 1), 2 * one);
  }
  // The walk's events: rate 4/(beta eps^2) per particle.
  Study hot = s;
  hot.model.beta = 2;
  EXPECT_DOUBLE_EQ(forecast_seconds(hot, ParticleModel::rw, 1),
                   2 * forecast_seconds(s, ParticleModel::rw, 1));
}

TEST(LawObserver, CountsCellsAndRestoresItsTallies) {
  // Two replicas of n = 2 (one of each sign) on a 2 x 2 law grid.
  const Trajectory ref = uniform_trajectory(4, 1);
  LawObserver law(2, 2, ref);
  std::vector<double> row(1);
  const std::vector<double> x1{0.1, 0.6}, y1{0.1, 0.6}, x2{0.1, 0.1}, y2{0.1, 0.6};
  law.observe({0, 0, {x1, y1, {}, {}, 0, 2, 1}, {}, row});
  law.observe({1, 0, {x2, y2, {}, {}, 0, 2, 1}, {}, row});
  EnsembleState saved;
  law.save(saved);
  LawObserver again(2, 2, ref);
  again.restore(saved);
  EnsembleResult a, b;
  law.finish(2, a);
  again.finish(2, b);
  EXPECT_EQ(a.law_plus, b.law_plus);
  // The plus particle sat in cell (0, 0) both times: density 1 / (n area) = 2 there.
  EXPECT_DOUBLE_EQ(a.law_plus[0], 2.0);
  EXPECT_DOUBLE_EQ(a.law_plus[3], 0.0);
  // The minus particle: cell (1, 1) once and (0, 1) once.
  EXPECT_DOUBLE_EQ(a.law_minus[1], 1.0);
  EXPECT_DOUBLE_EQ(a.law_minus[3], 1.0);
  // Against the uniform law 0.5 per cell, L2 over cells of area 1/4.
  const double l2 = std::sqrt(0.25 * (1.5 * 1.5 + 3 * 0.5 * 0.5));
  EXPECT_DOUBLE_EQ(a.law_l2[0][0], l2);
  EnsembleState wrong;
  EXPECT_THROW(again.restore(wrong), std::runtime_error);
}

TEST(LawObserver, TheMeanFieldOnTheLawCellsIsItsExactCellMean) {
  // MF density rho+ = 0.5 (1 + a cos(2 pi x)) on N = 16 samples, law cells G = 4: the mean
  // over [i/G, (i+1)/G) is 0.5 (1 + a (sin(2 pi (i+1)/G) - sin(2 pi i/G)) G / (2 pi)). One
  // replica with its plus particle in cell (0, 0) then has L2 distance
  // sqrt(area sum_cells (f - exact)^2), f = 1 / (n area) in that cell and 0 elsewhere.
  const int N = 16, G = 4;
  const double a = 0.8, two_pi = 2 * std::numbers::pi;
  Trajectory ref = uniform_trajectory(N, 1);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) ref.plus[0][i * N + j] = 0.5 * (1 + a * std::cos(two_pi * i / N));
  LawObserver law(G, 2, ref);
  const std::vector<double> x{0.1, 0.6}, y{0.1, 0.6};
  std::vector<double> row(1);
  law.observe({0, 0, {x, y, {}, {}, 0, 2, 1}, {}, row});
  EnsembleResult result;
  law.finish(1, result);
  const double area = 1.0 / (G * G);
  double d2 = 0;
  for (int i = 0; i < G; ++i) {
    const double exact =
        0.5 * (1 + a * (std::sin(two_pi * (i + 1) / G) - std::sin(two_pi * i / G)) * G / two_pi);
    for (int j = 0; j < G; ++j) {
      const double f = i == 0 && j == 0 ? 1 / (2 * area) : 0.0;
      d2 += area * (f - exact) * (f - exact);
    }
  }
  EXPECT_NEAR(result.law_l2[0][0], std::sqrt(d2), 1e-14);
}

TEST(DistanceObserver, HsOnASmallLatticeUsesTheAliasedModesOfTheMeanField) {
  // K = 6 modes against an 8 x 8 lattice field: modes beyond N/2 = 4 are the aliases of the
  // node measure's (its coefficients are N-periodic), as SobolevNorm::nodes computes them.
  const int N = 8;
  Trajectory ref = uniform_trajectory(N, 1);
  ref.lattice = true;
  for (int j = 0; j < N * N; ++j)
    ref.plus[0][j] = 0.5 * (1 + 0.5 * std::cos(2 * std::numbers::pi * (j / N) / N));
  MetricsParams params;
  params.kinds = {"hs"};
  params.hs_modes = 6;
  const MetricPlan plan(params.kinds, 1, {}, 1, 1);
  DistanceObserver distances(plan, params, {&ref}, 0);
  const std::vector<std::int32_t> ix{1, 5}, iy{2, 7};
  const std::vector<double> x{1.0 / N, 5.0 / N}, y{2.0 / N, 7.0 / N};
  std::vector<double> row(plan.row_length());
  distances.observe({0, 0, {x, y, ix, iy, N, 2, 2}, {}, row});
  const SobolevNorm hs(params.hs_order, params.hs_modes);
  GridMeasure nodes{N, std::vector<double>(std::size_t(N) * N)};
  for (int j = 0; j < N * N; ++j) nodes.mass[j] = ref.plus[0][j] / (N * N);
  const double expected = hs.distance(hs.atoms(x, y, 0.5), hs.nodes(nodes));
  EXPECT_NEAR(row[plan.slot(plan.metric(0, 0, 0), 0)], expected, 1e-14);
}

// ---------------------------------------------------------------- run_ensemble

Study small_ensemble_study(ParticleModel model) {
  Study s = dislo::testing::particle_study(KernelKind::gaussian, 40, 20, 16, 0.25, 4.0, 3);
  s.model.T = 0.05;
  s.run.times = {0.0, 0.025, 0.05};
  s.run.replicas = "9";
  s.metrics.grid = 8;
  s.metrics.law_bins = 8;
  s.metrics.pair_bins = 8;
  s.metrics.hs_modes = 4;
  (void)model;
  return s;
}

Trajectory reference_for(ParticleModel model, const Study& s) {
  Trajectory tr = uniform_trajectory(model == ParticleModel::sde ? 16 : s.model.lattice,
                                     int(s.run.times.size()));
  tr.lattice = model == ParticleModel::rw;
  return tr;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

TEST(RunEnsemble, AnInterruptedEnsembleResumesToTheSameResults) {
  for (ParticleModel model : {ParticleModel::sde, ParticleModel::rw}) {
    const Study s = small_ensemble_study(model);
    const Trajectory ref = reference_for(model, s);
    const EnsembleResult whole = run_ensemble(MPI_COMM_WORLD, s, model, ref);
    EXPECT_FALSE(whole.interrupted);
    EXPECT_EQ(whole.replicas, 9);
    // Each rank stops at its second request: at most one replica per rank, fewer than 9.
    int taken = 0;
    const EnsembleResult part = run_ensemble(MPI_COMM_WORLD, s, model, ref, nullptr, nullptr,
                                             [&](double) { return ++taken > 1; });
    ASSERT_TRUE(part.interrupted);
    const EnsembleResult rest = run_ensemble(MPI_COMM_WORLD, s, model, ref, nullptr, &part.state);
    EXPECT_FALSE(rest.interrupted);
    if (world_rank() != 0) continue;
    EXPECT_TRUE(same_bits(whole.mean, rest.mean)) << to_string(model);
    EXPECT_TRUE(same_bits(whole.stderr_, rest.stderr_));
    EXPECT_TRUE(same_bits(whole.law_plus, rest.law_plus));
    EXPECT_TRUE(same_bits(whole.pair_equal, rest.pair_equal));
    EXPECT_EQ(whole.work, rest.work);
    // The metrics measure something: a positive w1 at every time.
    const auto& names = whole.metric_names;
    const auto w1 = std::size_t(std::find(names.begin(), names.end(), "w1_plus") - names.begin());
    for (std::size_t t = 0; t < s.run.times.size(); ++t)
      EXPECT_GT(whole.mean[w1 * s.run.times.size() + t], 0);
  }
}

}  // namespace
