#include "dislo/replica_engine.hpp"

#include <array>
#include <limits>

#include "dislo/chaos.hpp"
#include "dislo/randomwalk.hpp"
#include "dislo/sde.hpp"

namespace dislo {

const char* to_string(ParticleModel model) { return model == ParticleModel::sde ? "sde" : "rw"; }

namespace {

class SdeReplicas final : public ReplicaEngine {
 public:
  SdeReplicas(const Study& study, MPI_Comm group, const ContinuumForce* coupled)
      : engine_(study, group), coupled_(coupled != nullptr) {
    if (coupled_) engine_.couple(coupled);
  }
  void start(std::uint64_t replica) override { engine_.start(replica); }
  void advance_to(double t) override { engine_.advance_to(t); }
  double kappa() const override { return engine_.kappa(); }
  ReplicaView view() override {
    ReplicaView v;
    v.x = engine_.x();
    v.y = engine_.y();
    v.n = engine_.n();
    v.n_plus = engine_.signs().n_plus;
    return v;
  }
  ReplicaView coupled_view() override {
    ReplicaView v;
    if (!coupled_) return v;
    v.x = engine_.xbar();
    v.y = engine_.ybar();
    v.n = engine_.n();
    v.n_plus = engine_.signs().n_plus;
    return v;
  }
  std::vector<std::string> coupling_names() const override {
    if (!coupled_) return {};
    return {"chaos/coupling"};
  }
  void coupling_distances(std::span<double> out) const override {
    if (coupled_) out[0] = engine_.coupling_distance();
  }
  std::uint64_t work() const override { return engine_.particle_steps(); }

 private:
  SdeEngine engine_;
  bool coupled_;
};

class WalkReplicas final : public ReplicaEngine {
 public:
  WalkReplicas(const Study& study, const LatticeForce* coupled) : walk_(make_lattice_walk(study)) {
    if (!coupled) return;
    // The veto coupling costs O(1) per event and always runs; the exact-force couplings
    // cost O(n) per event: only up to chaos.thinning_max_n and chaos.time_change_max_n.
    veto_ = std::make_unique<VetoCoupledWalks>(study, *coupled);
    if (study.model.n <= study.chaos.thinning_max_n)
      thinning_ = std::make_unique<CoupledWalks>(study, *coupled, CoupledWalks::Kind::thinning);
    if (study.model.n <= study.chaos.time_change_max_n)
      time_changed_ =
          std::make_unique<CoupledWalks>(study, *coupled, CoupledWalks::Kind::time_change);
  }
  void start(std::uint64_t replica) override {
    walk_->start(replica);
    for (auto* pair : couplings())
      if (pair) pair->start(replica, walk_->signs(), walk_->x(), walk_->y());
  }
  void advance_to(double t) override {
    for (auto* pair : couplings())
      if (pair) pair->advance_to(t);
    walk_->advance_to(t);
  }
  double kappa() const override { return walk_->kappa(); }
  ReplicaView view() override { return sites_view(walk_->x(), walk_->y(), x_, y_); }
  // Xbar of the veto coupling: a mean-field walk, whichever coupling drives it.
  ReplicaView coupled_view() override {
    if (!veto_) return {};
    return sites_view(veto_->xbar(), veto_->ybar(), xbar_, ybar_);
  }
  std::vector<std::string> coupling_names() const override {
    if (!veto_) return {};
    return {"chaos/thinning", "chaos/time_change", "chaos/veto"};
  }
  void coupling_distances(std::span<double> out) const override {
    if (!veto_) return;
    const auto pairs = couplings();
    for (std::size_t k = 0; k < pairs.size(); ++k)
      out[k] = pairs[k] ? pairs[k]->distance() : std::numeric_limits<double>::quiet_NaN();
  }
  std::uint64_t work() const override { return walk_->events(); }

 private:
  std::unique_ptr<LatticeWalk> walk_;
  std::unique_ptr<CoupledWalks> thinning_, time_changed_;
  std::unique_ptr<VetoCoupledWalks> veto_;
  std::vector<double> x_, y_, xbar_, ybar_;
  // In the order of coupling_names(); null where that coupling does not run.
  std::array<WalkCoupling*, 3> couplings() const {
    return {thinning_.get(), time_changed_.get(), veto_.get()};
  }
  ReplicaView sites_view(std::span<const std::int32_t> ix, std::span<const std::int32_t> iy,
                         std::vector<double>& x, std::vector<double>& y) const;
};

// Sites as positions x = i / L, in buffers that live as long as the engine.
ReplicaView WalkReplicas::sites_view(std::span<const std::int32_t> ix,
                                     std::span<const std::int32_t> iy, std::vector<double>& x,
                                     std::vector<double>& y) const {
  const int L = walk_->L();
  x.resize(ix.size());
  y.resize(iy.size());
  for (std::size_t i = 0; i < ix.size(); ++i) {
    x[i] = double(ix[i]) / L;
    y[i] = double(iy[i]) / L;
  }
  ReplicaView v;
  v.x = x;
  v.y = y;
  v.ix = ix;
  v.iy = iy;
  v.L = L;
  v.n = walk_->n();
  v.n_plus = walk_->signs().n_plus;
  return v;
}

}  // namespace

std::unique_ptr<ReplicaEngine> make_replica_engine(const Study& study, ParticleModel model,
                                                   MPI_Comm group, const ChaosForces* chaos) {
  const bool coupling = study.chaos.coupling && chaos != nullptr;
  if (model == ParticleModel::sde)
    return std::make_unique<SdeReplicas>(study, group, coupling ? chaos->mf : nullptr);
  return std::make_unique<WalkReplicas>(study, coupling ? chaos->mfeps : nullptr);
}

}  // namespace dislo
