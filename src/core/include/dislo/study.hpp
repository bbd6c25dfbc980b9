#pragma once
// The study: every parameter of a run, as plain types. Parsing, validation and the TOML
// text are the config layer's (dislo/config.hpp); this header knows no TOML. The member
// initialisers are the study file's defaults (docs/study-file.md shows them from here).

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dislo {

// Bad user input (study file, --set, option): the driver exits with status 2.
// what() is the one-line message: "FILE: section.key = VALUE: allowed range".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KernelKind { gaussian, cai, bump };
enum class InitialKind { uniform, cosine, blobs, file };

const char* to_string(KernelKind k);
const char* to_string(InitialKind k);

struct ModelParams {
  long n = 1000;
  std::optional<long> n_plus;  // empty = "random" signs
  int lattice = 128;           // L = 1/eps
  double delta = 0.0625;
  double beta = 4.0;  // +infinity for "inf"
  double T = 1.0;
  double eps() const { return 1.0 / lattice; }
  bool noiseless() const { return beta == std::numeric_limits<double>::infinity(); }
  bool operator==(const ModelParams&) const = default;
};

struct Blob {
  std::array<double, 2> centre{0.5, 0.5};
  double width = 0.1;   // standard deviation of the (periodised) gaussian
  double weight = 1.0;  // relative weight within its sign
  bool operator==(const Blob&) const = default;
};

struct InitialParams {
  InitialKind kind = InitialKind::cosine;
  double mass_plus = 0.5;  // mass_minus = 1 - mass_plus
  // cosine: rho0^{+-}(x) = m+- (1 + a+- cos(2 pi k.x + phase+-))
  double amplitude = 0.5;
  double amplitude_minus = -0.5;
  std::array<int, 2> k{1, 0};
  double phase = 0.0;
  double phase_minus = 0.0;
  // blobs: each sign's density is m+- times a normalised mixture of periodised gaussians
  std::vector<Blob> blobs_plus;
  std::vector<Blob> blobs_minus;
  // file: HDF5 with datasets rho_plus, rho_minus [G, G] (x-major), densities w.r.t. nu
  std::string file;
  double mass_minus() const { return 1.0 - mass_plus; }
  bool operator==(const InitialParams&) const = default;
};

struct RunParams {
  std::vector<std::string> models{"mf", "mfeps"};
  std::string replicas = "64";  // integer or "auto" (ensemble layer)
  double target_stderr = 0;     // replicas = "auto": stop once every stderr is below this
  long max_replicas = 100000;   // replicas = "auto": and never run more than this
  long batch = 16;              // replicas = "auto": the stopping rule is checked every batch
  std::uint64_t seed = 1;
  std::vector<double> times;  // resolved: increasing, in [0, T], always non-empty
  std::string output = "dislo.h5";
  bool strict = false;     // warnings are errors (exit 2); dislo --strict too
  bool overwrite = false;  // an existing output may be replaced; dislo run --overwrite too
  // Wall-time budget in seconds (0: none): ensembles stop taking replicas in time to
  // checkpoint before it runs out (docs/hpc.md). Not part of a checkpoint's identity.
  double walltime = 0;
  // Stop (checkpoint, exit 3) once an ensemble took this many replicas in this process
  // (0: never): a long run in goes of known size. Not part of a checkpoint's identity.
  long stop_after = 0;
  // Wall-clock seconds between the checkpoints an ensemble writes while it runs (0: none),
  // so that a run killed without warning (SIGKILL, a node failure) resumes from the last
  // one. Not part of a checkpoint's identity.
  double checkpoint_every = 300;
  // Ranks sharing one SDE replica (its particles and particle mesh split over them); must
  // divide the number of ranks. A layout choice: results and checkpoints do not depend on it.
  int ranks_per_replica = 1;
  bool has_model(const std::string& m) const;
  bool operator==(const RunParams&) const = default;
};

struct MetricsParams {
  std::vector<std::string> kinds{"bl", "w1", "hs"};
  // w1 and bl: "grid" (values on the H x H node grid, bracketed by its error) or
  // "certified" (semi-discrete brackets of the exact distances, docs/certified.md).
  std::string method = "grid";
  double tolerance = 0.02;     // certified: the brackets' target relative width
  int grid = 32;               // H: node grid of the transport metrics (docs/ensembles.md)
  int stencil = 16;            // neighbours per node of the transport graph: 8, 16 or 32
  double hs_order = 3;         // s of the H^-s norm
  int hs_modes = 16;           // K: Fourier modes |k|_inf <= K
  int law_bins = 64;           // SDE one-particle histograms: law_bins^2 cells
  int pair_bins = 64;          // pair-distance histograms on [0, sqrt(2)/2]
  bool rw_against_mf = false;  // also compare RW replicas with MF (Corollary 1.8)
  bool operator==(const MetricsParams&) const = default;
};

// Continuum mean-field PDE (MF): pseudo-spectral on an M x M grid.
struct MfParams {
  int M = 256;  // grid points per side (even, >= 8)
  // TS error control (PETSc -ts_rtol overrides); for etdrk4 relative to the deviation from
  // the mean (docs/numerics.md)
  double rtol = 1e-4;
  double atol = 1e-12;
  std::string ts_type = "etdrk4";
  double hyperviscosity = 0;  // rate at the de-aliasing cutoff; beta = inf default 10
  bool operator==(const MfParams&) const = default;
};

// Lattice mean-field master equation (MFeps).
struct MfepsParams {
  double rtol = 1e-4;
  double atol = 1e-12;
  std::string ts_type = "etdrk4";
  bool operator==(const MfepsParams&) const = default;
};

// [sde]: Euler-Maruyama step and force method (docs/particles.md).
struct SdeParams {
  double dt = 0;               // 0 = "auto": default_sde_step (sde.hpp)
  std::string force = "auto";  // "auto" | "direct" | "pm"
  double pm_tolerance = 1e-6;  // relative RMS force error of the particle mesh
  int noise_refinement = 0;    // increments summed from 2^r finer normals (weak-error studies)
  double ode_rtol = 1e-8;      // beta = inf: ODE_n error control
  double ode_atol = 1e-10;
  bool operator==(const SdeParams&) const = default;
};

// [rw]: which exact simulator.
struct RwParams {
  std::string algorithm = "veto";  // "veto" (O(1) per event) | "reference" (O(n))
  bool operator==(const RwParams&) const = default;
};

// [chaos]: the propagation-of-chaos couplings (docs/chaos.md).
struct ChaosParams {
  bool coupling = false;
  // Snapshots of the mean-field force over [0, T] that drive the coupled processes Xbar
  // (linear in time between snapshots for SDE, the interval's mean for RW).
  int frames = 128;
  // The thinning and time-change couplings cost O(n) per event: run each only up to its
  // n (the veto coupling, O(1) per event, always runs).
  long thinning_max_n = 100000000;
  long time_change_max_n = 200;
  bool operator==(const ChaosParams&) const = default;
};

// Where a study sits in a [sweep] (docs/study-file.md): which point, of how many, and the
// swept keys ("n", "lattice", "delta", "beta", "T", "kernel", "seed") in sweep order.
struct SweepPoint {
  long index = -1;  // -1: the study is not a sweep point
  long points = 0;
  std::vector<std::string> keys;
  std::string table;  // the sweep's run.output: where all points are collected
  bool operator==(const SweepPoint&) const = default;
};

struct Study {
  std::string source = "<default>";  // file name, for messages
  ModelParams model;
  KernelKind kernel = KernelKind::gaussian;
  double potential_strength = 1.0;  // multiplies V_delta (potential.strength)
  InitialParams initial;
  RunParams run;
  MetricsParams metrics;
  MfParams mf;
  MfepsParams mfeps;
  SdeParams sde;
  RwParams rw;
  ChaosParams chaos;
  SweepPoint sweep;
  // Messages about how the study was written (e.g. outside Assumption 2, settings no model
  // uses); printed by the driver. Not part of the study's identity: equal studies may
  // have been written differently.
  struct Warnings : std::vector<std::string> {
    bool operator==(const Warnings&) const { return true; }
  };
  Warnings warnings;
  bool operator==(const Study&) const = default;

  // Whether the run solves MF (asked for, or the reference of SDE replicas, or of RW ones
  // with metrics.rw_against_mf) and MFeps (asked for, or the reference of RW replicas).
  bool needs_mf() const;
  bool needs_mfeps() const;
};

}  // namespace dislo
