// The veto coupling of RW_n^eps with its mean-field walk (chaos.hpp; derivation and proof
// of both marginals in docs/chaos.md).
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "dislo/chaos.hpp"

namespace dislo {

namespace {

// The low 16 bits of v spread to the even bit positions (Morton order).
std::uint32_t spread_bits(std::uint32_t v) {
  v &= 0xFFFFu;
  v = (v | (v << 8)) & 0x00FF00FFu;
  v = (v | (v << 4)) & 0x0F0F0F0Fu;
  v = (v | (v << 2)) & 0x33333333u;
  v = (v | (v << 1)) & 0x55555555u;
  return v;
}

// The even bit positions of v gathered into the low bits (inverse of spread_bits).
std::uint32_t gather_bits(std::uint32_t v) {
  v &= 0x55555555u;
  v = (v | (v >> 1)) & 0x33333333u;
  v = (v | (v >> 2)) & 0x0F0F0F0Fu;
  v = (v | (v >> 4)) & 0x00FF00FFu;
  v = (v | (v >> 8)) & 0x0000FFFFu;
  return v;
}

// The words of one proposal, in order: blocks 0, 1, ... of (index, block, chaos_veto).
class ProposalWords {
 public:
  ProposalWords(const CounterRng& rng, std::uint64_t index) : rng_(rng), index_(index) {}
  std::uint64_t next() {
    if (used_ == 4) {
      words_ = rng_.draw(index_, block_++, Stream::chaos_veto);
      used_ = 0;
    }
    return words_[used_++];
  }

 private:
  const CounterRng& rng_;
  std::uint64_t index_, block_ = 0;
  CounterRng::Words words_{};
  int used_ = 4;
};

// u in [0, 1) on the 2^-53 grid: P(u < p) = p to within 2^-53.
double half_open(std::uint64_t w) { return double(w >> 11) * 0x1p-53; }

}  // namespace

VetoCoupledWalks::VetoCoupledWalks(const Study& study, const LatticeForce& force)
    : WalkCoupling(study, force) {
  if (!force.has_densities())
    throw std::invalid_argument("VetoCoupledWalks: the force frames carry no densities");
  while ((1 << bits_) < L_) ++bits_;
  if (bits_ > 15) throw std::invalid_argument("VetoCoupledWalks: lattice above 32768");
  levels_ = 1 + 2 * bits_;
  leaves_ = std::uint32_t(2) << (2 * bits_);
  const double G = grad_->G;
  slope_.resize(grad_->g.size());
  for (std::size_t k = 0; k < slope_.size(); ++k) slope_[k] = G > 0 ? grad_->g[k] / G : 0.0;
  // grad V is odd, so 0 at the zero vector; exactly 0 here, as the self-partner needs.
  slope_[0] = slope_[1] = 0;
  mu_ = beta_ * eps_ * G;
  rbar_ = base_ * std::exp(mu_ / 2);
  partners_ = PoissonTable(mu_);
  count_.assign(2 * std::size_t(leaves_), 0);
  left_.assign(leaves_, 0.0);
  masses_.resize(2 * std::size_t(L_) * L_);
}

std::uint32_t VetoCoupledWalks::leaf(int sign, int x, int y) const {
  const std::uint32_t s = sign > 0 ? 0 : 1;
  return (s << (2 * bits_)) | (spread_bits(std::uint32_t(x)) << 1) | spread_bits(std::uint32_t(y));
}

void VetoCoupledWalks::start(std::uint64_t replica, const Signs& signs,
                             std::span<const std::int32_t> x, std::span<const std::int32_t> y) {
  reset(replica, signs, x, y);
  std::fill(count_.begin(), count_.end(), 0);
  for (std::size_t i = 0; i < x_.size(); ++i)
    for (std::uint32_t v = leaves_ + leaf(b_[i], x_[i], y_[i]); v > 0; v >>= 1) ++count_[v];
  interval_ = -1;
  proposals_ = 0;
  segments_ = 0;
}

void VetoCoupledWalks::use_interval(int k) {
  if (k == interval_) return;
  force_->interval_masses(k, masses_);
  // Node masses bottom-up in a scratch heap over the leaves, then each node's left share.
  // Negative round-off in MFeps's densities is clipped: Xbar then follows the clipped
  // density's rates, off MFeps's by at most beta eps G / 2 times the mass clipped.
  std::vector<double> node(2 * std::size_t(leaves_), 0.0);
  const std::size_t S = std::size_t(L_) * L_;
  for (int sign : {+1, -1})
    for (int x = 0; x < L_; ++x)
      for (int y = 0; y < L_; ++y) {
        const double m = masses_[(sign > 0 ? 0 : S) + std::size_t(x) * L_ + y];
        node[leaves_ + leaf(sign, x, y)] = std::max(m, 0.0);
      }
  for (std::uint32_t v = leaves_ - 1; v > 0; --v) {
    node[v] = node[2 * v] + node[2 * v + 1];
    // Exactly 1 or 0 when a child is empty, so the descent never enters it.
    left_[v] = node[2 * v + 1] == 0 ? 1.0 : node[2 * v] / node[v];
  }
  if (!(node[1] > 0)) throw std::runtime_error("VetoCoupledWalks: MFeps has no mass");
  interval_ = k;
}

void VetoCoupledWalks::jump_x(std::size_t i, int dir) {
  std::uint32_t a = leaves_ + leaf(b_[i], x_[i], y_[i]);
  move(x_, y_, i, dir);
  std::uint32_t b = leaves_ + leaf(b_[i], x_[i], y_[i]);
  // Counts change only below the two leaves' common ancestor.
  for (; a != b; a >>= 1, b >>= 1) {
    --count_[a];
    ++count_[b];
  }
}

void VetoCoupledWalks::propose(std::uint64_t index) {
  const std::size_t n = x_.size();
  ProposalWords words(*rng_, index);
  const std::uint64_t m =
      rng_->below_exact(words.next(), 4 * std::uint64_t(n), index, Stream::chaos_veto, 0);
  const std::size_t i = m >> 2;
  const int dir = int(m & 3), d = dir >> 1;
  const double hs = (dir & 1) ? -b_[i] : b_[i];  // s b_i
  const std::size_t K = partners_.draw(CounterRng::unit(words.next()));
  bool x_moves = true, xbar_moves = true;
  const std::uint32_t top = std::uint32_t(1) << (2 * bits_);
  for (std::size_t k = 0; k < K && (x_moves || xbar_moves); ++k) {
    // One descent, the same word at each level for both: X goes left with probability
    // count(left)/count(node) (exact in integers), Xbar with left_[node].
    std::uint32_t v = 1, vb = 1;
    for (int level = 0; level < levels_; ++level) {
      const std::uint64_t w = words.next();
      const auto c = uint128_t(std::uint32_t(count_[v])),
                 cl = uint128_t(std::uint32_t(count_[2 * v]));
      v = 2 * v + (uint128_t(w) * c >= (cl << 64));
      vb = 2 * vb + !(half_open(w) < left_[vb]);
    }
    // Veto with probability (1 + c)/2, c = s b_i b_j d_d V(l_i - l_j)/G: 2u - 1 < c.
    const double veto = 2 * half_open(words.next()) - 1;
    auto slope = [&](std::uint32_t node, int px, int py) {
      const std::uint32_t at = node - leaves_;
      const int bj = (at & top) ? -1 : 1;
      const std::uint32_t site = at & (top - 1);
      const int qx = int(gather_bits(site >> 1)), qy = int(gather_bits(site));
      int dx = px - qx, dy = py - qy;
      dx += dx < 0 ? L_ : 0;
      dy += dy < 0 ? L_ : 0;
      return hs * bj * slope_[2 * (std::size_t(dx) * L_ + dy) + d];
    };
    if (x_moves && veto < slope(v, x_[i], y_[i])) x_moves = false;
    if (xbar_moves && veto < slope(vb, xb_[i], yb_[i])) xbar_moves = false;
  }
  if (x_moves) {
    jump_x(i, dir);
    ++events_;
  }
  if (xbar_moves) {
    move(xb_, yb_, i, dir);
    ++events_;
  }
}

void VetoCoupledWalks::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("VetoCoupledWalks::advance_to: time runs backwards");
  // Segments of constant rates (Xbar's change at the force's interval boundaries): the
  // proposals in each are Poisson in number, uniformisation as for VetoWalk.
  while (t_ < t) {
    int k = force_->interval(t_);
    if (k + 1 < force_->intervals() && force_->interval_end(k) <= t_) ++k;  // at a boundary
    const double end = k + 1 < force_->intervals() ? std::min(t, force_->interval_end(k)) : t;
    use_interval(k);
    const double mean = 4.0 * double(x_.size()) * rbar_ * (end - t_);
    CounterEngine engine(*rng_, segments_++, Stream::chaos_veto_count);
    std::poisson_distribution<std::uint64_t> count(mean);
    const std::uint64_t N = count(engine);
    for (std::uint64_t e = 0; e < N; ++e) propose(proposals_ + e);
    proposals_ += N;
    t_ = end;
  }
}

}  // namespace dislo
