#include "dislo/spectral.hpp"

#include <petscsys.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "dislo/config.hpp"

namespace dislo {

// Why not fftw_mpi_plan_dft_r2c_2d: its 1-d transforms are batched differently for
// each slab size, so its rounding depends on the number of ranks. Here every 1-d
// transform runs through one plan with one alignment, and the transposes (FFTW-MPI's, or
// reads from shared memory) only move data, so a grid value is the same bits on any
// number of ranks and with either transpose.

namespace {
// fftw_mpi_init may be called repeatedly; fftw_mpi_cleanup is left to process exit.
void ensure_fftw_mpi() {
  static bool done = false;
  if (!done) {
    fftw_mpi_init();
    done = true;
  }
}

constexpr int kBlock = 8;  // lines (rows) gathered together by a shared transpose

// Whether every rank of comm shares one node's memory; node receives that node's
// communicator, its ranks in comm's order.
bool single_node(MPI_Comm comm, MPI_Comm* node) {
  int rank = 0, size = 1, node_size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, node);
  MPI_Comm_size(*node, &node_size);
  return node_size == size;
}

// The options database may fix the transpose: -dislo_transpose auto|shared|messages
// (messages, e.g., where a node's shared-memory file system is too small).
SpectralGrid::Transpose transpose_option() {
  PetscBool initialized = PETSC_FALSE;
  PetscInitialized(&initialized);
  if (!initialized) return SpectralGrid::Transpose::automatic;
  char value[32] = "";
  PetscBool given = PETSC_FALSE;
  PetscOptionsGetString(nullptr, nullptr, "-dislo_transpose", value, sizeof value, &given);
  const std::string v = value;
  if (!given || v == "auto") return SpectralGrid::Transpose::automatic;
  if (v == "shared") return SpectralGrid::Transpose::shared;
  if (v == "messages") return SpectralGrid::Transpose::messages;
  throw InputError("option -dislo_transpose " + v + ": valid values are auto, shared and messages");
}

// Makes this rank's writes to the window visible to the node and waits for every rank.
void node_barrier(MPI_Win win, MPI_Comm node) {
  MPI_Win_sync(win);
  MPI_Barrier(node);
  MPI_Win_sync(win);
}

double* allocate_segment(MPI_Comm node, std::size_t doubles, MPI_Win* win,
                         std::vector<const fftw_complex*>* peers) {
  MPI_Info info;
  MPI_Info_create(&info);
  // Each segment in its owner's memory (first touch), not one block on rank 0's.
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  double* base = nullptr;
  MPI_Win_allocate_shared(static_cast<MPI_Aint>(doubles * sizeof(double)), sizeof(double), info,
                          node, &base, win);
  MPI_Info_free(&info);
  int size = 1;
  MPI_Comm_size(node, &size);
  peers->resize(size);
  for (int r = 0; r < size; ++r) {
    MPI_Aint bytes = 0;
    int unit = 0;
    void* ptr = nullptr;
    MPI_Win_shared_query(*win, r, &bytes, &unit, &ptr);
    (*peers)[r] = static_cast<const fftw_complex*>(ptr);
  }
  MPI_Win_lock_all(MPI_MODE_NOCHECK, *win);
  return base;
}
}  // namespace

SpectralGrid::SpectralGrid(MPI_Comm comm, int N, int max_ky, Transpose transpose)
    : comm_(comm), N_(N), kept_lines_(max_ky < 0 ? N / 2 + 1 : max_ky + 1) {
  if (N < 4 || N % 2 != 0) throw std::invalid_argument("SpectralGrid: N must be even and >= 4");
  if (max_ky < -1 || max_ky > N / 2)
    throw std::invalid_argument("SpectralGrid: max_ky must lie in [0, N/2] (or -1 for N/2)");
  ensure_fftw_mpi();
  const ptrdiff_t cols = kept_lines_;
  // One spectral entry is two doubles; the transposes move N x cols entries and back.
  const ptrdiff_t dims[2] = {N, cols};
  ptrdiff_t n0 = 0, s0 = 0, n1 = 0, s1 = 0;
  const ptrdiff_t alloc = fftw_mpi_local_size_many_transposed(
      2, dims, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK, comm, &n0, &s0, &n1, &s1);
  local_rows_ = static_cast<int>(n0);
  row_start_ = static_cast<int>(s0);
  local_cols_ = static_cast<int>(n1);
  col_start_ = static_cast<int>(s1);
  // FFTW's blocks are contiguous in rank order, the empty ones last; FFTW may report any
  // start for an empty block, so it is set to the end.
  if (local_rows_ == 0) row_start_ = N;
  if (local_cols_ == 0) col_start_ = kept_lines_;

  if (transpose == Transpose::automatic) transpose = transpose_option();
  MPI_Comm node = MPI_COMM_NULL;
  const bool one_node = single_node(comm, &node);
  if (transpose == Transpose::shared && !one_node) {
    MPI_Comm_free(&node);
    throw InputError(
        "option -dislo_transpose shared: the ranks span several nodes; valid here: auto, "
        "messages");
  }
  shared_ = one_node && transpose != Transpose::messages;
  if (shared_) {
    node_comm_ = node;
  } else {
    MPI_Comm_free(&node);
  }

  line_real_ = fftw_alloc_real(N);
  line_in_ = fftw_alloc_complex(N);
  line_out_ = fftw_alloc_complex(N);
  if (!line_real_ || !line_in_ || !line_out_) throw std::bad_alloc();
  // FFTW_ESTIMATE: the plan, hence the rounding, is the same in every run.
  row_fwd_ = fftw_plan_dft_r2c_1d(N, line_real_, line_out_, FFTW_ESTIMATE);
  row_bwd_ = fftw_plan_dft_c2r_1d(N, line_in_, line_real_, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
  // Column lines transform in place (transform_line).
  col_fwd_ = fftw_plan_dft_1d(N, line_in_, line_in_, FFTW_FORWARD, FFTW_ESTIMATE);
  col_bwd_ = fftw_plan_dft_1d(N, line_in_, line_in_, FFTW_BACKWARD, FFTW_ESTIMATE);
  line_alignment_ = fftw_alignment_of(reinterpret_cast<double*>(line_in_));
  if (!row_fwd_ || !row_bwd_ || !col_fwd_ || !col_bwd_)
    throw std::runtime_error("FFTW could not plan an " + std::to_string(N) + "^2 transform");

  // Every rank learns every rank's first row (and first line), N (kept_lines_) closing the
  // list: rank r holds rows row_starts_[r] .. row_starts_[r + 1] - 1.
  int size = 1;
  MPI_Comm_size(comm_, &size);
  row_starts_.resize(size + 1);
  MPI_Allgather(&row_start_, 1, MPI_INT, row_starts_.data(), 1, MPI_INT, comm_);
  row_starts_[size] = N;
  col_starts_.resize(size + 1);
  MPI_Allgather(&col_start_, 1, MPI_INT, col_starts_.data(), 1, MPI_INT, comm_);
  col_starts_[size] = kept_lines_;

  if (shared_) {
    setup_shared();
    return;
  }
  const ptrdiff_t doubles = std::max<ptrdiff_t>({alloc, 2 * n0 * cols, 2 * n1 * N, 2});
  rows_ = fftw_alloc_real(doubles);
  columns_ = fftw_alloc_real(doubles);
  if (!rows_ || !columns_) throw std::bad_alloc();
  // The transposes only move data, so every algorithm gives the same bits: FFTW may time
  // its candidates (FFTW_MEASURE, remembered as wisdom for later grids) and keep the fastest.
  to_columns_ =
      fftw_mpi_plan_many_transpose(N, cols, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                   rows_, columns_, comm, FFTW_MEASURE);
  to_rows_ =
      fftw_mpi_plan_many_transpose(cols, N, 2, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                   columns_, rows_, comm, FFTW_MEASURE);
  if (!to_columns_ || !to_rows_)
    throw std::runtime_error("FFTW could not plan an " + std::to_string(N) + "^2 transpose");
}

void SpectralGrid::setup_shared() {
  const int size = static_cast<int>(col_starts_.size()) - 1;
  line_owner_.resize(kept_lines_);
  for (int r = 0; r < size; ++r)
    for (int ky = col_starts_[r]; ky < col_starts_[r + 1]; ++ky) line_owner_[ky] = r;
  rows_ = allocate_segment(node_comm_, 2 * std::size_t(local_rows_) * kept_lines_, &rows_win_,
                           &peer_rows_);
  columns_ = allocate_segment(node_comm_, 2 * std::size_t(local_cols_) * N_, &columns_win_,
                              &peer_columns_);
  // Rows padded to 64 bytes, so every row of the block has the line buffer's alignment.
  row_block_stride_ = (N_ / 2 + 1 + 3) / 4 * 4;
  row_block_ = fftw_alloc_complex(std::size_t(kBlock) * row_block_stride_);
  if (!row_block_) throw std::bad_alloc();
}

SpectralGrid::~SpectralGrid() {
  for (fftw_plan p : {row_fwd_, row_bwd_, col_fwd_, col_bwd_, to_columns_, to_rows_})
    if (p) fftw_destroy_plan(p);
  // Freeing the windows is collective: while an exception unwinds this rank alone (the
  // driver then calls MPI_Abort), the other ranks would never join, so the windows are
  // left to MPI's own clean-up.
  if (shared_) {
    if (std::uncaught_exceptions() == 0) {
      for (MPI_Win* w : {&rows_win_, &columns_win_}) {
        if (*w == MPI_WIN_NULL) continue;
        MPI_Win_unlock_all(*w);
        MPI_Win_free(w);
      }
      MPI_Comm_free(&node_comm_);
    }
  } else {
    fftw_free(rows_);
    fftw_free(columns_);
  }
  fftw_free(row_block_);
  fftw_free(line_real_);
  fftw_free(line_in_);
  fftw_free(line_out_);
}

// In place when the line has the plan's SIMD alignment (always, for even N and FFTW's
// allocator), else through the aligned line buffer: the same plan on every line either way.
void SpectralGrid::transform_line(fftw_plan plan, fftw_complex* line) {
  if (fftw_alignment_of(reinterpret_cast<double*>(line)) == line_alignment_) {
    fftw_execute_dft(plan, line, line);
  } else {
    std::memcpy(line_in_, line, sizeof(fftw_complex) * N_);
    fftw_execute_dft(plan, line_in_, line_in_);
    std::memcpy(line, line_in_, sizeof(fftw_complex) * N_);
  }
}

void SpectralGrid::transform_columns(fftw_plan plan) {
  auto* col = reinterpret_cast<fftw_complex*>(columns_);
  for (int c = 0; c < local_cols_; ++c) transform_line(plan, col + std::size_t(c) * N_);
}

void SpectralGrid::forward(const double* in, cplx* out) {
  if (shared_) return forward_shared(in, out);
  const int cols = kept_lines_;
  auto* row = reinterpret_cast<fftw_complex*>(rows_);
  for (int i = 0; i < local_rows_; ++i) {
    std::memcpy(line_real_, in + std::size_t(i) * N_, sizeof(double) * N_);
    fftw_execute_dft_r2c(row_fwd_, line_real_, line_out_);
    std::memcpy(row + std::size_t(i) * cols, line_out_, sizeof(fftw_complex) * cols);
  }
  fftw_execute(to_columns_);
  transform_columns(col_fwd_);
  if (spectral_size() > 0)  // a rank without lines may hold null buffers
    std::memcpy(static_cast<void*>(out), columns_, sizeof(cplx) * spectral_size());
}

void SpectralGrid::backward(const cplx* in, double* out) {
  if (shared_) return backward_shared(in, out);
  const int cols = kept_lines_;
  if (spectral_size() > 0)
    std::memcpy(columns_, static_cast<const void*>(in), sizeof(cplx) * spectral_size());
  transform_columns(col_bwd_);
  fftw_execute(to_rows_);
  const double scale = 1.0 / (double(N_) * double(N_));
  auto* row = reinterpret_cast<fftw_complex*>(rows_);
  for (int i = 0; i < local_rows_; ++i) {
    std::memcpy(line_in_, row + std::size_t(i) * cols, sizeof(fftw_complex) * cols);
    // The c2r plan may overwrite its input, so the dropped lines are zeroed every time.
    std::fill(&line_in_[cols][0], &line_in_[N_ / 2][0] + 2, 0.0);
    fftw_execute_dft_c2r(row_bwd_, line_in_, line_real_);
    double* dst = out + std::size_t(i) * N_;
    for (int j = 0; j < N_; ++j) dst[j] = scale * line_real_[j];
  }
}

// The row transforms write this rank's segment; each rank then reads its lines out of every
// rank's rows (kBlock lines at a time, so each row is read in whole cache lines), straight
// into the output, and transforms them there.
void SpectralGrid::forward_shared(const double* in, cplx* out) {
  const int kept = kept_lines_;
  auto* row = reinterpret_cast<fftw_complex*>(rows_);
  node_barrier(rows_win_, node_comm_);  // the ranks have read the previous rows
  for (int i = 0; i < local_rows_; ++i) {
    std::memcpy(line_real_, in + std::size_t(i) * N_, sizeof(double) * N_);
    fftw_execute_dft_r2c(row_fwd_, line_real_, line_out_);
    std::memcpy(row + std::size_t(i) * kept, line_out_, sizeof(fftw_complex) * kept);
  }
  node_barrier(rows_win_, node_comm_);
  auto* lines = reinterpret_cast<fftw_complex*>(out);
  const int size = static_cast<int>(row_starts_.size()) - 1;
  for (int c0 = 0; c0 < local_cols_; c0 += kBlock) {
    const int width = std::min(kBlock, local_cols_ - c0);
    for (int r = 0; r < size; ++r) {
      const int first = row_starts_[r], count = row_starts_[r + 1] - first;
      if (count == 0) continue;  // its segment may be null
      const fftw_complex* src = peer_rows_[r] + col_start_ + c0;
      for (int x = 0; x < count; ++x, src += kept)
        for (int b = 0; b < width; ++b) {
          fftw_complex& dst = lines[std::size_t(c0 + b) * N_ + first + x];
          dst[0] = src[b][0];
          dst[1] = src[b][1];
        }
    }
  }
  for (int c = 0; c < local_cols_; ++c) transform_line(col_fwd_, lines + std::size_t(c) * N_);
}

// The line transforms run in this rank's segment; each rank then reads its rows out of every
// rank's lines (kBlock rows at a time) and transforms them back.
void SpectralGrid::backward_shared(const cplx* in, double* out) {
  auto* col = reinterpret_cast<fftw_complex*>(columns_);
  node_barrier(columns_win_, node_comm_);  // the ranks have read the previous lines
  for (int c = 0; c < local_cols_; ++c) {
    fftw_complex* line = col + std::size_t(c) * N_;
    std::memcpy(line, in + std::size_t(c) * N_, sizeof(fftw_complex) * N_);
    transform_line(col_bwd_, line);
  }
  node_barrier(columns_win_, node_comm_);
  const double scale = 1.0 / (double(N_) * double(N_));
  const int half = N_ / 2 + 1;
  const bool aligned = fftw_alignment_of(reinterpret_cast<double*>(row_block_)) == line_alignment_;
  for (int i0 = 0; i0 < local_rows_; i0 += kBlock) {
    const int height = std::min(kBlock, local_rows_ - i0);
    for (int ky = 0; ky < kept_lines_; ++ky) {
      const int owner = line_owner_[ky];
      const fftw_complex* src =
          peer_columns_[owner] + std::size_t(ky - col_starts_[owner]) * N_ + row_start_ + i0;
      for (int b = 0; b < height; ++b) {
        fftw_complex& dst = row_block_[std::size_t(b) * row_block_stride_ + ky];
        dst[0] = src[b][0];
        dst[1] = src[b][1];
      }
    }
    for (int b = 0; b < height; ++b) {
      fftw_complex* line = row_block_ + std::size_t(b) * row_block_stride_;
      // The c2r plan may overwrite its input, so the dropped lines are zeroed every time.
      std::fill(&line[kept_lines_][0], &line[half - 1][0] + 2, 0.0);
      if (aligned) {
        fftw_execute_dft_c2r(row_bwd_, line, line_real_);
      } else {
        std::memcpy(line_in_, line, sizeof(fftw_complex) * half);
        fftw_execute_dft_c2r(row_bwd_, line_in_, line_real_);
      }
      double* dst = out + std::size_t(i0 + b) * N_;
      for (int j = 0; j < N_; ++j) dst[j] = scale * line_real_[j];
    }
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
  const int size = static_cast<int>(row_starts_.size()) - 1;
  std::vector<int> counts(size), displs(row_starts_.begin(), row_starts_.end() - 1);
  for (int r = 0; r < size; ++r) counts[r] = row_starts_[r + 1] - row_starts_[r];
  MPI_Allgatherv(mine.data(), local_rows_, MPI_DOUBLE, row_sums.data(), counts.data(),
                 displs.data(), MPI_DOUBLE, comm_);
  double total = 0;
  for (double s : row_sums) total += s;
  return total;
}

}  // namespace dislo
