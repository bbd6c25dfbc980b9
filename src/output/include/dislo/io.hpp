#pragma once
// The HDF5 output file (contract.md, "HDF5 output"): written collectively by all ranks
// of a communicator to PATH.tmp-XXXX, renamed to PATH only by finalise(), with an XDMF
// sidecar (PATH without .h5, plus .xmf) describing every grid field for ParaView.
// This is the only module that knows HDF5.

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace dislo {

using AttributeValue = std::variant<double, std::int64_t, std::string>;

// HOST-PID-TIME of this process now: a temporary PATH.tmp-<suffix> written by it can be
// told apart from another run's, and recognised as stale once the process is gone.
std::string temporary_suffix();

// Temporaries of PATH (and its .xmf) left by runs killed before they renamed them
// (PATH.tmp-HOST-PID-TIME, also checkpoints'): removed when their process on this host is gone,
// else left; one note per file found. check_output_path calls it (rank 0 prints the notes).
std::vector<std::string> clear_stale_temporaries(const std::string& path);

// Refuses (InputError on every rank, checked on rank 0 before any work) an output path
// that is a directory, an existing output unless overwrite (nothing is replaced by
// accident), and a directory that does not exist and cannot be created or is not writable,
// with the system's reason, or one with less room than bytes_needed (free space, or the
// process's file-size limit). `key` names where the path came from in messages. Stale
// temporaries of the path are cleared first (clear_stale_temporaries).
void check_output_path(MPI_Comm comm, const std::string& path, bool overwrite,
                       const std::string& key, std::uint64_t bytes_needed = 0);

class OutputFile {
 public:
  // Collective. Creates the temporary file; throws std::runtime_error on failure.
  OutputFile(MPI_Comm comm, const std::string& path);
  // Not finalised (an exception unwound the run): closes and removes the temporary file,
  // so nothing at PATH could be mistaken for a result.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Collective. Attribute on a group or dataset (created as a group if missing);
  // object "/" is the root. Every rank passes the same value.
  void set_attribute(const std::string& object, const std::string& name,
                     const AttributeValue& value);
  // Collective. A small 1-D dataset; every rank passes the same data.
  void write_vector(const std::string& dataset, const std::vector<double>& data);
  // Collective. A 2-D dataset [rows, cols] (row-major); rank 0's data is written, the
  // other ranks pass the same shape (their data is not read).
  void write_matrix(const std::string& dataset, std::size_t rows, std::size_t cols,
                    const std::vector<double>& data);
  // Collective. Creates a field dataset [nt, G, G] (doubles, chunked per time slice)
  // and, when xdmf is true, lists it in the XDMF sidecar as a node-centred attribute on
  // the uniform G x G grid of the unit torus at the given times.
  void create_field(const std::string& dataset, const std::vector<double>& times, int G,
                    bool xdmf = true);
  // Collective. Writes rows [row0, row0 + nrows) of time slice t of a field created by
  // create_field; data holds nrows * G values, x-major. A rank may own zero rows.
  void write_field_rows(const std::string& dataset, int t, int row0, int nrows, const double* data);
  // Collective. Closes the file, writes the XDMF sidecar (rank 0), renames the
  // temporary file to PATH atomically. After this the destructor does nothing.
  void finalise();

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Merges finished runs into one table, serially (dislo collect; docs/hdf5-layout.md,
// "Collected tables"): one row per (run, output time); parameter columns point, file, t,
// n, n_plus, lattice, eps, delta, beta, T, seed, kernel from each run's study; every 1-D
// per-time dataset of the runs at its own path (NaN where a run lacks it); sde/replicas,
// rw/replicas and wall_seconds per run. Written atomically. Returns the number of rows.
// Throws InputError naming the file when an input is missing, listed twice or not a
// dislo output.
std::size_t collect_runs(const std::vector<std::string>& inputs, const std::string& output);

}  // namespace dislo
