// One replica shared by the ranks of a group (run.ranks_per_replica): the forces on any
// block of particles, and whole SDE trajectories, are the same bits as on one rank. Run on
// 1, 2 and 3 ranks; on one rank the block code paths run serially.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <limits>
#include <vector>

#include "dislo/forces.hpp"
#include "dislo/random.hpp"
#include "dislo/sde.hpp"
#include "test_support.hpp"

using namespace dislo;
using dislo::testing::particle_study;

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

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// n random positions and alternating signs, the same on every rank.
struct Configuration {
  std::vector<double> x, y;
  std::vector<int> b;
  explicit Configuration(std::size_t n) {
    const CounterRng rng(7, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto w = rng.draw(i, 0, Stream::sde_noise);
      x.push_back(1 - CounterRng::unit(w[0]));  // in [0, 1)
      y.push_back(1 - CounterRng::unit(w[1]));
      b.push_back(i % 3 == 0 ? -1 : 1);
    }
    // Particles on mesh rows at slab edges and on the torus seam.
    x[0] = 0;
    x[1] = 0.5;
    y[1] = 0.999999999;
  }
};

void expect_blocks_match_whole(ForceField& whole, ForceField& split, int part, int parts,
                               const Configuration& c) {
  const std::size_t n = c.x.size();
  std::vector<double> fx(n), fy(n), gx(n, std::numeric_limits<double>::quiet_NaN()), gy(gx);
  whole.compute(c.x, c.y, c.b, fx, fy);
  const ParticleBlock block = ParticleBlock::of(n, part, parts);
  // A field that reads only the block's positions must not see the others.
  std::vector<double> x = c.x, y = c.y;
  if (!split.needs_all_positions())
    for (std::size_t i = 0; i < n; ++i)
      if (i < block.lo || i >= block.hi) x[i] = y[i] = std::numeric_limits<double>::quiet_NaN();
  split.compute(x, y, c.b, block, gx, gy);
  const std::size_t len = block.hi - block.lo;
  EXPECT_TRUE(same_bits({fx.data() + block.lo, len}, {gx.data() + block.lo, len}))
      << "block " << part << " of " << parts;
  EXPECT_TRUE(same_bits({fy.data() + block.lo, len}, {gy.data() + block.lo, len}))
      << "block " << part << " of " << parts;
}

}  // namespace

TEST(ReplicaGroups, DirectForceOnAnyBlockIsTheWholeSumsBits) {
  const Configuration c(301);
  DirectForce whole(Kernel(KernelKind::gaussian, 0.0625));
  for (int parts : {2, 3, 7})
    for (int part = 0; part < parts; ++part)
      expect_blocks_match_whole(whole, whole, part, parts, c);
}

TEST(ReplicaGroups, ParticleMeshOnAGroupIsTheOneRankMeshsBits) {
  const Kernel kernel(KernelKind::gaussian, 0.0625);
  const Configuration c(2000);
  const MeshChoice mesh = choose_mesh(kernel, 1e-6, 100000);
  ASSERT_GT(mesh.M, 0);
  ParticleMesh alone(kernel, mesh, MPI_COMM_SELF), shared(kernel, mesh, MPI_COMM_WORLD);
  expect_blocks_match_whole(alone, shared, world_rank(), world_size(), c);
  // And a smaller mesh whose slabs are a few rows each (stencil rows cross slab edges).
  const MeshChoice coarse{24, 6, 0};
  ParticleMesh alone24(kernel, coarse, MPI_COMM_SELF), shared24(kernel, coarse, MPI_COMM_WORLD);
  expect_blocks_match_whole(alone24, shared24, world_rank(), world_size(), c);
}

// Whole replicas: positions, displacements and work counts after two output times.
void expect_shared_replica_matches(Study study) {
  SdeEngine alone(study, MPI_COMM_SELF), shared(study, MPI_COMM_WORLD);
  for (std::uint64_t replica : {3u, 4u}) {
    alone.start(replica);
    shared.start(replica);
    for (double t : {0.02, 0.05}) {
      alone.advance_to(t);
      shared.advance_to(t);
      EXPECT_TRUE(same_bits(alone.x(), shared.x())) << "t = " << t;
      EXPECT_TRUE(same_bits(alone.y(), shared.y())) << "t = " << t;
      EXPECT_TRUE(same_bits(alone.displacement_x(), shared.displacement_x())) << "t = " << t;
      EXPECT_TRUE(same_bits(alone.displacement_y(), shared.displacement_y())) << "t = " << t;
      EXPECT_EQ(alone.particle_steps(), shared.particle_steps());
    }
  }
  // The particles moved (the comparison is not of two initial states).
  EXPECT_NE(alone.displacement_x()[0], 0.0);
}

TEST(ReplicaGroups, SdeReplicaWithDirectForcesIsTheSameBitsOnAGroup) {
  Study study = particle_study(KernelKind::cai, 90, 40, 32, 0.0625, 4.0);
  study.initial.kind = InitialKind::cosine;
  study.sde.force = "direct";
  expect_shared_replica_matches(study);
}

TEST(ReplicaGroups, SdeReplicaWithParticleMeshIsTheSameBitsOnAGroup) {
  Study study = particle_study(KernelKind::gaussian, 3000, 1500, 32, 0.0625, 4.0);
  study.initial.kind = InitialKind::cosine;
  study.sde.force = "pm";
  expect_shared_replica_matches(study);
}

TEST(ReplicaGroups, NoiselessReplicaIsTheSameBitsOnAGroup) {
  Study study = particle_study(KernelKind::gaussian, 24, 12, 32, 0.1, 4.0);
  study.model.beta = std::numeric_limits<double>::infinity();
  study.sde.force = "direct";
  expect_shared_replica_matches(study);
}
