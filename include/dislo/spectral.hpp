#pragma once
// A real N x N periodic grid on the unit torus, distributed over the ranks of a
// communicator in slabs of whole x-rows (FFTW-MPI's block distribution), with
// real-to-complex transforms and sums whose bits do not depend on the number of ranks.
// Real arrays are unpadded, x-major: value (i, j) of local row i at index i*N + j.
// Spectra stay transposed (one transpose per transform, not two): each rank holds whole
// lines of fixed ky, local entry c*N + i being the mode (kx_of(i), spectral_ky(c)),
// ky = 0 .. N/2 split over the ranks like the real rows.

#include <fftw3-mpi.h>
#include <mpi.h>

#include <complex>
#include <cstddef>
#include <vector>

namespace dislo {

using cplx = std::complex<double>;

class SpectralGrid {
 public:
  SpectralGrid(MPI_Comm comm, int N);
  ~SpectralGrid();
  SpectralGrid(const SpectralGrid&) = delete;
  SpectralGrid& operator=(const SpectralGrid&) = delete;

  MPI_Comm comm() const { return comm_; }
  int N() const { return N_; }
  int local_rows() const { return local_rows_; }
  int row_start() const { return row_start_; }
  std::size_t real_size() const { return std::size_t(local_rows_) * N_; }
  std::size_t spectral_size() const { return std::size_t(local_cols_) * N_; }
  // Local spectral lines (each N entries long) and the ky of line c.
  int spectral_lines() const { return local_cols_; }
  int spectral_ky(int line) const { return col_start_ + line; }
  // Signed kx of entry i of a line.
  int kx_of(int i) const { return i <= N_ / 2 ? i : i - N_; }
  // Whether this rank holds the mode (0, 0) (at local index 0).
  bool holds_mean() const { return col_start_ == 0 && local_cols_ > 0; }

  // out_k = sum_x in(x) exp(-2 pi i k.x)   (unnormalised DFT)
  void forward(const double* in, cplx* out);
  // out(x) = (1/N^2) sum_k in_k exp(2 pi i k.x): the exact inverse of forward.
  void backward(const cplx* in, double* out);

  // Sum over the whole torus grid of a local real array (collective), in global row order.
  double sum(const double* local) const;

 private:
  void transform_columns(fftw_plan plan);
  MPI_Comm comm_;
  int N_;
  int local_rows_ = 0, row_start_ = 0, local_cols_ = 0, col_start_ = 0;
  std::vector<int> row_starts_;
  double* rows_ = nullptr;     // local_rows x (N/2 + 1) complex
  double* columns_ = nullptr;  // local_cols x N complex (transposed)
  double* line_real_ = nullptr;
  fftw_complex *line_in_ = nullptr, *line_out_ = nullptr;
  int line_alignment_ = 0;
  fftw_plan row_fwd_ = nullptr, row_bwd_ = nullptr, col_fwd_ = nullptr, col_bwd_ = nullptr;
  fftw_plan to_columns_ = nullptr, to_rows_ = nullptr;
};

}  // namespace dislo
