#include "dislo/spectral.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dislo {

// Why not fftw_mpi_plan_dft_r2c_2d: its 1-d transforms are batched differently for
// each slab size, so its rounding depends on the number of ranks. Here every 1-d
// transform runs through one plan on one aligned scratch buffer, and FFTW-MPI only moves
// the data (transposes are exact), so a grid value is the same bits on any number of ranks.

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
  const ptrdiff_t cols = N / 2 + 1;
  // One spectral entry is two doubles; the transposes move N x cols entries and back.
  const ptrdiff_t dims[2] = {N, cols};
  ptrdiff_t n0 = 0, s0 = 0, n1 = 0, s1 = 0;
  const ptrdiff_t alloc = fftw_mpi_local_size_many_transposed(
      2, dims, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK, comm, &n0, &s0, &n1, &s1);
  local_rows_ = static_cast<int>(n0);
  row_start_ = static_cast<int>(s0);
  local_cols_ = static_cast<int>(n1);
  col_start_ = static_cast<int>(s1);
  const ptrdiff_t doubles = std::max<ptrdiff_t>({alloc, 2 * n0 * cols, 2 * n1 * N, 2});
  rows_ = fftw_alloc_real(doubles);
  columns_ = fftw_alloc_real(doubles);
  line_real_ = fftw_alloc_real(N);
  line_in_ = fftw_alloc_complex(N);
  line_out_ = fftw_alloc_complex(N);
  if (!rows_ || !columns_ || !line_real_ || !line_in_ || !line_out_) throw std::bad_alloc();
  // FFTW_ESTIMATE: the plan, hence the rounding, is the same in every run.
  row_fwd_ = fftw_plan_dft_r2c_1d(N, line_real_, line_out_, FFTW_ESTIMATE);
  row_bwd_ = fftw_plan_dft_c2r_1d(N, line_in_, line_real_, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  // Column lines transform in place (transform_columns).
  col_fwd_ = fftw_plan_dft_1d(N, line_in_, line_in_, FFTW_FORWARD, FFTW_ESTIMATE);
  col_bwd_ = fftw_plan_dft_1d(N, line_in_, line_in_, FFTW_BACKWARD, FFTW_ESTIMATE);
  line_alignment_ = fftw_alignment_of(reinterpret_cast<double*>(line_in_));
  // The transposes only move data, so every algorithm gives the same bits: FFTW may time
  // its candidates (FFTW_MEASURE, remembered as wisdom for later grids) and keep the fastest.
  to_columns_ =
      fftw_mpi_plan_many_transpose(N, cols, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                   rows_, columns_, comm, FFTW_MEASURE);
  to_rows_ =
      fftw_mpi_plan_many_transpose(cols, N, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                   columns_, rows_, comm, FFTW_MEASURE);
  if (!row_fwd_ || !row_bwd_ || !col_fwd_ || !col_bwd_ || !to_columns_ || !to_rows_)
    throw std::runtime_error("FFTW could not plan an " + std::to_string(N) + "^2 transform");

  // Every rank learns every rank's first row, for sums in global row order.
  int size = 1;
  MPI_Comm_size(comm_, &size);
  row_starts_.resize(size);
  MPI_Allgather(&row_start_, 1, MPI_INT, row_starts_.data(), 1, MPI_INT, comm_);
}

SpectralGrid::~SpectralGrid() {
  for (fftw_plan p : {row_fwd_, row_bwd_, col_fwd_, col_bwd_, to_columns_, to_rows_})
    if (p) fftw_destroy_plan(p);
  fftw_free(rows_);
  fftw_free(columns_);
  fftw_free(line_real_);
  fftw_free(line_in_);
  fftw_free(line_out_);
}

void SpectralGrid::transform_columns(fftw_plan plan) {
  auto* col = reinterpret_cast<fftw_complex*>(columns_);
  for (int c = 0; c < local_cols_; ++c) {
    fftw_complex* line = col + std::size_t(c) * N_;
    // In place when the line has the plan's SIMD alignment (always, for even N and
    // FFTW's allocator); the same plan on every line either way.
    if (fftw_alignment_of(reinterpret_cast<double*>(line)) == line_alignment_) {
      fftw_execute_dft(plan, line, line);
    } else {
      std::memcpy(line_in_, line, sizeof(fftw_complex) * N_);
      fftw_execute_dft(plan, line_in_, line_in_);
      std::memcpy(line, line_in_, sizeof(fftw_complex) * N_);
    }
  }
}

void SpectralGrid::forward(const double* in, cplx* out) {
  const int cols = N_ / 2 + 1;
  auto* row = reinterpret_cast<fftw_complex*>(rows_);
  for (int i = 0; i < local_rows_; ++i) {
    std::memcpy(line_real_, in + std::size_t(i) * N_, sizeof(double) * N_);
    fftw_execute_dft_r2c(row_fwd_, line_real_, line_out_);
    std::memcpy(row + std::size_t(i) * cols, line_out_, sizeof(fftw_complex) * cols);
  }
  fftw_execute(to_columns_);
  transform_columns(col_fwd_);
  std::memcpy(static_cast<void*>(out), columns_, sizeof(cplx) * spectral_size());
}

void SpectralGrid::backward(const cplx* in, double* out) {
  const int cols = N_ / 2 + 1;
  std::memcpy(columns_, static_cast<const void*>(in), sizeof(cplx) * spectral_size());
  transform_columns(col_bwd_);
  fftw_execute(to_rows_);
  const double scale = 1.0 / (double(N_) * double(N_));
  auto* row = reinterpret_cast<fftw_complex*>(rows_);
  for (int i = 0; i < local_rows_; ++i) {
    std::memcpy(line_in_, row + std::size_t(i) * cols, sizeof(fftw_complex) * cols);
    fftw_execute_dft_c2r(row_bwd_, line_in_, line_real_);
    double* dst = out + std::size_t(i) * N_;
    for (int j = 0; j < N_; ++j) dst[j] = scale * line_real_[j];
  }
}

// Row sums, then the N of them in global row order: the same bits on any number of ranks.
double SpectralGrid::sum(const double* local) const {
  std::vector<double> row_sums(N_, 0.0), mine(std::max(local_rows_, 1), 0.0);
  for (int i = 0; i < local_rows_; ++i) {
    double s = 0;
    for (int j = 0; j < N_; ++j) s += local[std::size_t(i) * N_ + j];
    mine[i] = s;
  }
  const int size = static_cast<int>(row_starts_.size());
  std::vector<int> counts(size), displs(row_starts_);
  for (int r = 0; r < size; ++r)
    counts[r] = (r + 1 < size ? row_starts_[r + 1] : N_) - row_starts_[r];
  MPI_Allgatherv(mine.data(), local_rows_, MPI_DOUBLE, row_sums.data(), counts.data(),
                 displs.data(), MPI_DOUBLE, comm_);
  double total = 0;
  for (double s : row_sums) total += s;
  return total;
}

}  // namespace dislo
