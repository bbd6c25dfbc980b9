#include "dislo/random.hpp"

#include <cmath>

namespace dislo {

namespace {
constexpr int kLayers = 128;
constexpr double kR = 3.442619855899;       // start of the tail
constexpr double kV = 9.91256303526217e-3;  // area of each layer

struct Ziggurat {
  double x[kLayers + 1];  // layer edges, x[0] = V / f(R) (base strip), x[1] = R, x[128] = 0
  double ratio[kLayers];  // x[i+1] / x[i]: the layer's part that needs no test
  Ziggurat() {
    const double f = std::exp(-0.5 * kR * kR);
    x[0] = kV / f;
    x[1] = kR;
    x[kLayers] = 0;
    for (int i = 2; i < kLayers; ++i)
      x[i] = std::sqrt(-2 * std::log(kV / x[i - 1] + std::exp(-0.5 * x[i - 1] * x[i - 1])));
    for (int i = 0; i < kLayers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}
}  // namespace

double NormalStream::tail(double r, bool negative) {
  // Marsaglia's tail method: exact for |Z| > r.
  double x, y;
  do {
    x = std::log(uniform()) / r;
    y = std::log(uniform());
  } while (-2 * y < x * x);
  return negative ? x - r : r - x;
}

double NormalStream::next() {
  const Ziggurat& z = ziggurat();
  for (;;) {
    const std::uint64_t w = word();
    const int i = static_cast<int>(w & (kLayers - 1));
    // u uniform on (-1, 1) from the top 53 bits (disjoint from the layer bits).
    const double u = 2 * (double(w >> 11) + 0.5) * 0x1.0p-53 - 1;
    if (std::abs(u) < z.ratio[i]) return u * z.x[i];
    if (i == 0) return tail(kR, u < 0);
    const double xx = u * z.x[i];
    const double f0 = std::exp(-0.5 * (z.x[i] * z.x[i] - xx * xx));
    const double f1 = std::exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - xx * xx));
    if (f1 + uniform() * (f0 - f1) < 1.0) return xx;
  }
}

}  // namespace dislo
