#include "dislo/spectral.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

namespace dislo {

namespace {
// fftw_mpi_init may be called repeatedly; fftw_mpi_cleanup is left to process exit.
void ensure_fftw_mpi() {
  static bool done = false;
  if (!done) {
    fftw_mpi_init();
    done = true;
  }
}
}  // namespace

SpectralGrid::SpectralGrid(MPI_Comm comm, int N) : comm_(comm), N_(N) {
  if (N < 4 || N % 2 != 0) throw std::invalid_argument("SpectralGrid: N must be even and >= 4");
  ensure_fftw_mpi();
  ptrdiff_t n0 = 0, s0 = 0;
  const ptrdiff_t alloc = fftw_mpi_local_size_2d(N, N / 2 + 1, comm, &n0, &s0);
  local_rows_ = static_cast<int>(n0);
  row_start_ = static_cast<int>(s0);
  const ptrdiff_t count = alloc > 0 ? alloc : 1;
  real_buf_ = fftw_alloc_real(2 * count);
  cplx_buf_ = fftw_alloc_complex(count);
  if (!real_buf_ || !cplx_buf_) throw std::bad_alloc();
  // FFTW_ESTIMATE: the plan, hence the rounding, is the same in every run.
  plan_fwd_ = fftw_mpi_plan_dft_r2c_2d(N, N, real_buf_, cplx_buf_, comm, FFTW_ESTIMATE);
  plan_bwd_ = fftw_mpi_plan_dft_c2r_2d(N, N, cplx_buf_, real_buf_, comm, FFTW_ESTIMATE);
  if (!plan_fwd_ || !plan_bwd_)
    throw std::runtime_error("FFTW-MPI could not plan an " + std::to_string(N) + "^2 transform");
}

SpectralGrid::~SpectralGrid() {
  if (plan_fwd_) fftw_destroy_plan(plan_fwd_);
  if (plan_bwd_) fftw_destroy_plan(plan_bwd_);
  fftw_free(real_buf_);
  fftw_free(cplx_buf_);
}

void SpectralGrid::forward(const double* in, cplx* out) {
  const int padded = 2 * (N_ / 2 + 1);
  for (int i = 0; i < local_rows_; ++i)
    std::memcpy(real_buf_ + std::size_t(i) * padded, in + std::size_t(i) * N_, sizeof(double) * N_);
  fftw_execute(plan_fwd_);
  std::memcpy(static_cast<void*>(out), cplx_buf_, sizeof(cplx) * spectral_size());
}

void SpectralGrid::backward(const cplx* in, double* out) {
  const int padded = 2 * (N_ / 2 + 1);
  std::memcpy(cplx_buf_, static_cast<const void*>(in), sizeof(cplx) * spectral_size());
  fftw_execute(plan_bwd_);
  const double scale = 1.0 / (double(N_) * double(N_));
  for (int i = 0; i < local_rows_; ++i) {
    const double* src = real_buf_ + std::size_t(i) * padded;
    double* dst = out + std::size_t(i) * N_;
    for (int j = 0; j < N_; ++j) dst[j] = scale * src[j];
  }
}

double SpectralGrid::sum(const double* local) const {
  double s = 0;
  for (std::size_t k = 0; k < real_size(); ++k) s += local[k];
  double total = 0;
  MPI_Allreduce(&s, &total, 1, MPI_DOUBLE, MPI_SUM, comm_);
  return total;
}

}  // namespace dislo
