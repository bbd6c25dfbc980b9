#pragma once
// Counter-based random numbers (Random123 Philox4x64-10). Key = (study seed, replica id),
// counter = (index, sub-index, stream, 0): a replica's draws are a pure function of
// (seed, replica, what is being drawn), never of the rank, the order or a restart.

#include <Random123/philox.h>

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>
#include <array>
#include <cstdint>
#include <limits>

namespace dislo {

// 64x64 -> 128-bit products for Lemire's range reduction (GCC and Clang).
__extension__ typedef unsigned __int128 uint128_t;

// One stream per purpose, so that no two uses of the generator share a counter.
enum class Stream : std::uint64_t {
  initial_sign = 1,
  initial_position = 2,
  sde_noise = 3,
  rw_count = 4,           // number of proposals per output interval (uniformisation)
  rw_proposal = 5,        // (particle, step, Poisson partner count, first partner)
  rw_partner = 6,         // further partners of a proposal
  rw_reference = 7,       // the reference simulator's own draws
  chaos_thinning = 8,     // the RW thinning coupling's proposals
  chaos_time_change = 9,  // the unit Poisson processes of the RW time-change coupling
  chaos_veto = 10,        // the RW veto coupling's proposals and partners
  chaos_veto_count = 11   // its number of proposals per constant-rate segment
};

class CounterRng {
 public:
  using Words = std::array<std::uint64_t, 4>;

  CounterRng(std::uint64_t seed, std::uint64_t replica) : key_{{seed, replica}} {}

  // Four independent 64-bit words for (index, sub, stream, extra).
  Words draw(std::uint64_t index, std::uint64_t sub, Stream stream, std::uint64_t extra = 0) const {
    const r123::Philox4x64::ctr_type ctr{{index, sub, static_cast<std::uint64_t>(stream), extra}};
    const auto out = r123::Philox4x64()(ctr, key_);
    return {out[0], out[1], out[2], out[3]};
  }

  // Uniform in (0, 1], never 0 (safe under log).
  static double unit(std::uint64_t w) { return r123::u01<double>(w); }
  // Two independent standard normals from two words (Box-Muller).
  static std::array<double, 2> normals(std::uint64_t a, std::uint64_t b) {
    const auto z = r123::boxmuller(a, b);
    return {z.x, z.y};
  }
  // floor(w * range / 2^64): uniform on [0, range) up to a bias below range / 2^64
  // (at most 2^-32 for range < 2^32); exactness where it matters comes from below_exact.
  static std::uint64_t below(std::uint64_t w, std::uint64_t range) {
    return static_cast<std::uint64_t>((static_cast<uint128_t>(w) * range) >> 64);
  }
  // Exact uniform integer on [0, range) by Lemire's method: accepts w unless it falls in
  // the 2^64 mod range rejection zone (probability range / 2^64); then more words are
  // taken from (index, 2^63 + salt 2^32 + k, stream), away from ordinary sub-indices.
  std::uint64_t below_exact(std::uint64_t w, std::uint64_t range, std::uint64_t index,
                            Stream stream, std::uint64_t salt) const {
    std::uint64_t sub = (1ULL << 63) | (salt << 32);
    for (;;) {
      const auto m = static_cast<uint128_t>(w) * range;
      const auto low = static_cast<std::uint64_t>(m);
      if (low >= range || low >= (0 - range) % range) return static_cast<std::uint64_t>(m >> 64);
      w = draw(index, sub++, stream)[0];
    }
  }

 private:
  r123::Philox4x64::key_type key_;
};

// Exact standard normals by the 128-layer ziggurat (Marsaglia and Tsang 2000, in
// Doornik's 2005 form, whose layer index and uniform come from disjoint bits of one word).
// About 1.02 words per normal and no transcendental function in 98.8% of draws; the
// words come from (index, sub, stream, 0), then extra = 1, 2, ... as needed.
class NormalStream {
 public:
  NormalStream(const CounterRng& rng, std::uint64_t index, std::uint64_t sub, Stream stream)
      : rng_(rng),
        index_(index),
        sub_(sub),
        stream_(stream),
        words_(rng.draw(index, sub, stream)) {}
  double next();

 private:
  const CounterRng& rng_;
  std::uint64_t index_, sub_;
  Stream stream_;
  CounterRng::Words words_;
  std::uint64_t extra_ = 0;
  int used_ = 0;
  std::uint64_t word() {
    if (used_ == 4) {
      words_ = rng_.draw(index_, sub_, stream_, ++extra_);
      used_ = 0;
    }
    return words_[used_++];
  }
  double uniform() { return CounterRng::unit(word()); }
  double tail(double r, bool negative);
};

// A standard-library URBG over one (index, stream) of a CounterRng, for the
// <random> distributions that need an unbounded number of words (e.g. Poisson).
class CounterEngine {
 public:
  using result_type = std::uint64_t;
  CounterEngine(const CounterRng& rng, std::uint64_t index, Stream stream)
      : rng_(rng), index_(index), stream_(stream) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() {
    if (used_ == 4) {
      words_ = rng_.draw(index_, block_++, stream_);
      used_ = 0;
    }
    return words_[used_++];
  }

 private:
  const CounterRng& rng_;
  std::uint64_t index_;
  Stream stream_;
  std::uint64_t block_ = 0;
  CounterRng::Words words_{};
  int used_ = 4;
};

}  // namespace dislo
