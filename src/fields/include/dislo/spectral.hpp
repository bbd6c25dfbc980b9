#pragma once
// A real N x N periodic grid on the unit torus, distributed over the ranks of a
// communicator in slabs of whole x-rows (FFTW-MPI's block distribution), with
// real-to-complex transforms and sums whose bits do not depend on the number of ranks.
// Real arrays are unpadded, x-major: value (i, j) of local row i at index i*N + j.
// Spectra stay transposed (one transpose per transform, not two): each rank holds whole
// lines of fixed ky, local entry c*N + i being the mode (kx_of(i), spectral_ky(c)),
// ky = 0 .. max_ky split over the ranks like the real rows. A band-limited grid
// (max_ky < N/2) neither transposes nor transforms the lines beyond max_ky: forward drops
// them and backward takes them as zero, which is what a de-aliased solver wants anyway.

#include <fftw3-mpi.h>
#include <mpi.h>

#include <complex>
#include <cstddef>
#include <vector>

namespace dislo {

using cplx = std::complex<double>;

class SpectralGrid {
 public:
  // How the transposes between rows and spectral lines move data. Both give the same bits.
  //   automatic: the option -dislo_transpose auto|shared|messages if given; else shared
  //              when every rank of comm shares one node's memory, messages otherwise.
  //   shared:    MPI-3 shared-memory windows; each rank reads its lines (rows) straight out
  //              of the other ranks' row (line) buffers, transposing as it reads.
  //   messages:  FFTW-MPI's transposes (local transposes and all-to-all messages).
  enum class Transpose { automatic, shared, messages };

  // max_ky in [0, N/2]; -1 keeps every line (ky = 0 .. N/2).
  SpectralGrid(MPI_Comm comm, int N, int max_ky = -1, Transpose transpose = Transpose::automatic);
  ~SpectralGrid();
  SpectralGrid(const SpectralGrid&) = delete;
  SpectralGrid& operator=(const SpectralGrid&) = delete;

  MPI_Comm comm() const { return comm_; }
  int N() const { return N_; }
  int max_ky() const { return kept_lines_ - 1; }
  int local_rows() const { return local_rows_; }
  int row_start() const { return row_start_; }
  std::size_t real_size() const { return std::size_t(local_rows_) * N_; }
  std::size_t spectral_size() const { return std::size_t(local_cols_) * N_; }
  // Local spectral lines (each N entries long) and the ky of line c.
  int spectral_lines() const { return local_cols_; }
  int spectral_ky(int line) const { return col_start_ + line; }
  // Signed kx of entry i of a line.
  int kx_of(int i) const { return i <= N_ / 2 ? i : i - N_; }
  // Whether the transposes go through shared memory (else FFTW-MPI messages).
  bool shared_transposes() const { return shared_; }
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
  void transform_line(fftw_plan plan, fftw_complex* line);
  void setup_shared();
  void forward_shared(const double* in, cplx* out);
  void backward_shared(const cplx* in, double* out);
  MPI_Comm comm_;
  int N_;
  int kept_lines_;  // ky = 0 .. kept_lines_ - 1 are transformed
  int local_rows_ = 0, row_start_ = 0, local_cols_ = 0, col_start_ = 0;
  std::vector<int> row_starts_, col_starts_;  // every rank's first row (line), then N (max_ky + 1)
  double* rows_ = nullptr;                    // local_rows x kept_lines complex
  double* columns_ = nullptr;                 // local_cols x N complex (transposed)
  double* line_real_ = nullptr;
  fftw_complex *line_in_ = nullptr, *line_out_ = nullptr;
  int line_alignment_ = 0;
  fftw_plan row_fwd_ = nullptr, row_bwd_ = nullptr, col_fwd_ = nullptr, col_bwd_ = nullptr;
  fftw_plan to_columns_ = nullptr, to_rows_ = nullptr;
  // Shared transposes: rows_ and columns_ are this rank's segments of two windows on the
  // node communicator (whose ranks are comm's, in order); peer_* are every rank's segments.
  bool shared_ = false;
  MPI_Comm node_comm_ = MPI_COMM_NULL;
  MPI_Win rows_win_ = MPI_WIN_NULL, columns_win_ = MPI_WIN_NULL;
  std::vector<const fftw_complex*> peer_rows_, peer_columns_;
  std::vector<int> line_owner_;        // rank holding line ky
  fftw_complex* row_block_ = nullptr;  // kBlock rows of N/2 + 1 (padded) entries
  int row_block_stride_ = 0;
};

}  // namespace dislo
