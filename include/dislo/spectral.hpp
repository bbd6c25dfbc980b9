#pragma once
// A real N x N periodic grid on the unit torus, distributed over the ranks of a
// communicator in slabs of whole x-rows (FFTW-MPI), with real-to-complex transforms.
// Real arrays are unpadded, x-major: value (i, j) of local row i at index i*N + j.
// Spectra are local_rows x (N/2 + 1), not transposed: the same rows as the real side.

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
  std::size_t spectral_size() const { return std::size_t(local_rows_) * (N_ / 2 + 1); }
  int spectral_cols() const { return N_ / 2 + 1; }

  // Signed wave numbers of a local spectral entry (row i local, column j).
  int kx(int local_row) const {
    int g = row_start_ + local_row;
    return g <= N_ / 2 ? g : g - N_;
  }
  int ky(int col) const { return col; }
  // Weight of a spectral entry in a full-torus sum: columns 1..N/2-1 stand for two modes.
  double hermitian_weight(int col) const { return (col == 0 || col == N_ / 2) ? 1.0 : 2.0; }

  // out_k = sum_x in(x) exp(-2 pi i k.x)   (unnormalised DFT)
  void forward(const double* in, cplx* out);
  // out(x) = (1/N^2) sum_k in_k exp(2 pi i k.x): the exact inverse of forward.
  void backward(const cplx* in, double* out);

  // Sum over the whole torus grid of a local real array (collective).
  double sum(const double* local) const;

 private:
  MPI_Comm comm_;
  int N_;
  int local_rows_ = 0, row_start_ = 0;
  double* real_buf_ = nullptr;  // padded rows of 2 (N/2 + 1)
  fftw_complex* cplx_buf_ = nullptr;
  fftw_plan plan_fwd_ = nullptr, plan_bwd_ = nullptr;
};

}  // namespace dislo
