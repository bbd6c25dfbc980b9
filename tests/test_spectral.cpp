// SpectralGrid: the transform against a direct DFT, its inverse, and the same bits for any
// number of ranks, either transpose (shared memory or FFTW-MPI messages) and a band limit.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <vector>

#include "dislo/spectral.hpp"
#include "tolerances.hpp"

using namespace dislo;
using Transpose = SpectralGrid::Transpose;

namespace {
constexpr double two_pi = 2 * std::numbers::pi;

// A field with every mode present: a fixed pseudo-random pattern (the same on every rank).
double field(int x, int y, int N) {
  const unsigned h = (unsigned(x) * 2654435761u) ^ (unsigned(y + N) * 40503u);
  return double(h % 1000) / 1000.0 - 0.5 + std::sin(two_pi * 3 * x / N);
}

std::vector<double> local_field(const SpectralGrid& g) {
  const int N = g.N();
  std::vector<double> f(g.real_size());
  for (int i = 0; i < g.local_rows(); ++i)
    for (int j = 0; j < N; ++j) f[std::size_t(i) * N + j] = field(g.row_start() + i, j, N);
  return f;
}

bool same_bits(const void* a, const void* b, std::size_t bytes) {
  return bytes == 0 || std::memcmp(a, b, bytes) == 0;  // empty spans may be null
}

int all_agree(bool mine) {
  int ok = mine ? 1 : 0, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}

struct Case {
  int N, max_ky;
};
// Even sizes that split unevenly over 2 and 3 ranks; N = 4 with 2 lines leaves a rank of
// 3 without lines, N = 10 with max_ky = 0 keeps one line.
const Case kCases[] = {{4, 1}, {10, 0}, {10, -1}, {12, -1}, {48, -1}, {48, 16}, {50, 17}};
}  // namespace

// out_k = sum_x f(x) exp(-2 pi i k.x) on the modes this rank holds, to round-off.
TEST(SpectralGrid, ForwardIsTheDiscreteFourierTransform) {
  for (const Case c : {Case{12, -1}, Case{10, 3}}) {
    for (Transpose t : {Transpose::shared, Transpose::messages}) {
      SpectralGrid g(MPI_COMM_WORLD, c.N, c.max_ky, t);
      const int N = g.N();
      const auto f = local_field(g);
      std::vector<cplx> spec(g.spectral_size());
      g.forward(f.data(), spec.data());
      double worst = 0, scale = 0;
      for (int line = 0; line < g.spectral_lines(); ++line)
        for (int i = 0; i < N; ++i) {
          const int kx = g.kx_of(i), ky = g.spectral_ky(line);
          cplx sum = 0;
          for (int x = 0; x < N; ++x)
            for (int y = 0; y < N; ++y)
              sum += field(x, y, N) * std::polar(1.0, -two_pi * double(kx * x + ky * y) / N);
          worst = std::max(worst, std::abs(sum - spec[std::size_t(line) * N + i]));
          scale = std::max(scale, std::abs(sum));
        }
      MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &scale, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (rank == 0)
        std::printf("N = %d, max_ky = %d, %s: max |DFT - forward| / max |DFT| = %.2e\n", N,
                    g.max_ky(), t == Transpose::shared ? "shared" : "messages",
                    worst / std::max(scale, 1.0));
      EXPECT_LE(worst, tol::roundoff * std::max(scale, 1.0)) << "N = " << N;
    }
  }
}

// backward(forward(f)) = f up to round-off on a full grid.
TEST(SpectralGrid, BackwardInvertsForward) {
  SpectralGrid g(MPI_COMM_WORLD, 48);
  const auto f = local_field(g);
  std::vector<cplx> spec(g.spectral_size());
  std::vector<double> back(g.real_size());
  g.forward(f.data(), spec.data());
  g.backward(spec.data(), back.data());
  double worst = 0;
  for (std::size_t k = 0; k < f.size(); ++k) worst = std::max(worst, std::abs(back[k] - f[k]));
  MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) std::printf("N = 48: max |backward(forward(f)) - f| = %.2e\n", worst);
  EXPECT_LE(worst, tol::roundoff);
}

// Each rank also transforms the whole field on its own (one rank, MPI_COMM_SELF): the
// distributed spectra and fields must be the same bits, for both transposes.
TEST(SpectralGrid, SameBitsOnAnyRankCountAndTranspose) {
  for (const Case c : kCases) {
    SpectralGrid whole(MPI_COMM_SELF, c.N, c.max_ky);
    const int N = whole.N();
    const auto f_whole = local_field(whole);
    std::vector<cplx> spec_whole(whole.spectral_size());
    whole.forward(f_whole.data(), spec_whole.data());
    const std::vector<cplx> forward_whole = spec_whole;
    // A spectrum to invert: the transform with a pattern added (not the exact image of a
    // real field, as a solver's spectra are not).
    for (std::size_t k = 0; k < spec_whole.size(); ++k)
      spec_whole[k] += cplx(0.25, -0.125) * double(k % 7);
    std::vector<double> back_whole(whole.real_size());
    std::vector<cplx> input = spec_whole;
    whole.backward(input.data(), back_whole.data());
    ASSERT_TRUE(same_bits(input.data(), spec_whole.data(), input.size() * sizeof(cplx)))
        << "backward must not modify its input";
    for (Transpose t : {Transpose::shared, Transpose::messages}) {
      SpectralGrid g(MPI_COMM_WORLD, c.N, c.max_ky, t);
      EXPECT_EQ(g.shared_transposes(), t == Transpose::shared);
      EXPECT_EQ(g.max_ky(), c.max_ky < 0 ? N / 2 : c.max_ky);
      const auto f = local_field(g);
      std::vector<cplx> spec(g.spectral_size());
      g.forward(f.data(), spec.data());
      const std::size_t first = g.spectral_lines() > 0 ? std::size_t(g.spectral_ky(0)) * N : 0;
      const bool forward_same =
          same_bits(spec.data(), forward_whole.data() + first, spec.size() * sizeof(cplx));
      std::vector<cplx> mine(spec_whole.begin() + first,
                             spec_whole.begin() + first + g.spectral_size());
      std::vector<double> back(g.real_size());
      g.backward(mine.data(), back.data());
      const bool backward_same =
          same_bits(back.data(), back_whole.data() + std::size_t(g.row_start()) * N,
                    back.size() * sizeof(double));
      EXPECT_TRUE(all_agree(forward_same)) << "forward, N = " << N << ", max_ky = " << c.max_ky;
      EXPECT_TRUE(all_agree(backward_same)) << "backward, N = " << N << ", max_ky = " << c.max_ky;
    }
  }
}

// A band-limited grid holds exactly the full grid's lines ky <= max_ky, and its backward
// transform is the full grid's on the spectrum with the other lines zero.
TEST(SpectralGrid, BandLimitDropsOnlyTheHighLines) {
  const int N = 48, K = 16;
  SpectralGrid full(MPI_COMM_SELF, N), band(MPI_COMM_SELF, N, K);
  ASSERT_EQ(band.spectral_lines(), K + 1);
  const auto f = local_field(full);
  std::vector<cplx> spec_full(full.spectral_size()), spec_band(band.spectral_size());
  full.forward(f.data(), spec_full.data());
  band.forward(f.data(), spec_band.data());
  EXPECT_TRUE(same_bits(spec_band.data(), spec_full.data(), spec_band.size() * sizeof(cplx)));
  std::fill(spec_full.begin() + spec_band.size(), spec_full.end(), cplx(0));
  std::vector<double> back_full(full.real_size()), back_band(band.real_size());
  full.backward(spec_full.data(), back_full.data());
  band.backward(spec_band.data(), back_band.data());
  EXPECT_TRUE(same_bits(back_full.data(), back_band.data(), back_full.size() * sizeof(double)));
}

// Consecutive transforms reuse the grid's buffers (and, shared, the windows the other ranks
// read): each result must equal a fresh grid's, whatever came before.
TEST(SpectralGrid, ConsecutiveTransformsAreIndependent) {
  for (Transpose t : {Transpose::shared, Transpose::messages}) {
    SpectralGrid g(MPI_COMM_WORLD, 48, 16, t);
    const auto f1 = local_field(g);
    std::vector<double> f2(f1.size());
    for (std::size_t k = 0; k < f2.size(); ++k) f2[k] = 2 * f1[k] * f1[k] - 0.5;
    std::vector<cplx> s1(g.spectral_size()), s2(g.spectral_size()), s1_again(g.spectral_size());
    g.forward(f1.data(), s1.data());
    g.forward(f2.data(), s2.data());
    g.forward(f1.data(), s1_again.data());
    std::vector<double> b1(g.real_size()), b2(g.real_size()), b1_again(g.real_size());
    g.backward(s1.data(), b1.data());
    g.backward(s2.data(), b2.data());
    g.backward(s1.data(), b1_again.data());
    SpectralGrid fresh(MPI_COMM_WORLD, 48, 16, t);
    std::vector<cplx> s2_fresh(g.spectral_size());
    std::vector<double> b2_fresh(g.real_size());
    fresh.forward(f2.data(), s2_fresh.data());
    fresh.backward(s2.data(), b2_fresh.data());
    const bool same = same_bits(s1.data(), s1_again.data(), s1.size() * sizeof(cplx)) &&
                      same_bits(s2.data(), s2_fresh.data(), s2.size() * sizeof(cplx)) &&
                      same_bits(b1.data(), b1_again.data(), b1.size() * sizeof(double)) &&
                      same_bits(b2.data(), b2_fresh.data(), b2.size() * sizeof(double));
    EXPECT_TRUE(all_agree(same)) << (t == Transpose::shared ? "shared" : "messages");
  }
}

TEST(SpectralGrid, RejectsBadSizes) {
  EXPECT_THROW(SpectralGrid(MPI_COMM_SELF, 7), std::invalid_argument);
  EXPECT_THROW(SpectralGrid(MPI_COMM_SELF, 8, 5), std::invalid_argument);
  EXPECT_THROW(SpectralGrid(MPI_COMM_SELF, 8, -2), std::invalid_argument);
}
