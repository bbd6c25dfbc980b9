#include "dislo/preflight.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "dislo/ensemble.hpp"
#include "dislo/system_memory.hpp"

namespace dislo {

namespace {

// Peak resident bytes, measured (docs/hpc.md, "Memory"): Release, one rank, the growth of
// the peak between two sizes of the part alone.
constexpr double kProcess = 64.0 * 1024 * 1024;  // MPI, PETSc, HDF5 and the code: 53-59 MB
constexpr double kMfPerPoint = 288;              // MF: state, stages, spectra, transposes
constexpr double kMfepsPerSite = 480;            // MFeps: the same and the rate tables
constexpr double kSdePerParticle = 64;           // one replica in flight: 56 measured
constexpr double kRwPerParticle = 64;            // 48 measured
constexpr double kGridMetricPerNode = 1900;      // w1/bl network on the H x H nodes
constexpr double kExact2PerNode = 1100;          // three modes x (TS, spectra, rates)

bool has(const std::vector<std::string>& list, const char* item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The rows of an N x N grid split over the ranks: the largest share.
double rows_share(double N, int ranks) { return std::ceil(N / ranks) * N; }

// Saturated: absurd keys (model.lattice near 2^31, model.n near 2^63) give needs beyond
// 2^64 bytes, which must stay absurd, not wrap.
constexpr double kMaxBytes = 9.0e18;
std::uint64_t saturated(double bytes) { return std::uint64_t(std::min(bytes, kMaxBytes)); }

void add(std::vector<MemoryNeed>& needs, const char* part, double bytes, std::string keys) {
  needs.push_back({part, saturated(bytes), std::move(keys)});
}

void add_particles(std::vector<MemoryNeed>& needs, const Study& s, const char* model,
                   double per_particle) {
  const auto& m = s.metrics;
  double bytes = double(s.model.n) * per_particle * (s.chaos.coupling ? 2 : 1);
  std::string keys = fmt::format("model.n = {}", s.model.n);
  if (m.method == "grid" && (has(m.kinds, "w1") || has(m.kinds, "bl"))) {
    bytes += kGridMetricPerNode * double(m.grid) * m.grid;
    keys += fmt::format(", metrics.grid = {}", m.grid);
  }
  add(needs, model, bytes, keys);
}

std::uint64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string suffix = text.substr(used);
  double scale = 1;
  if (suffix.size() == 1) {
    const char c = char(std::toupper(static_cast<unsigned char>(suffix[0])));
    const std::string units = "KMGT";
    const auto k = units.find(c);
    if (k != std::string::npos) scale = std::pow(1024.0, double(k + 1)), suffix.clear();
  }
  if (used == 0 || !suffix.empty() || !(value > 0))
    throw InputError(fmt::format(
        "DISLO_MEMORY_PER_RANK = \"{}\": a positive number of bytes, optionally with K, M, G "
        "or T (e.g. 4G)",
        text));
  return std::uint64_t(value * scale);
}

// The cgroup (v2) limit of this process less its usage, in bytes (0 if none or unknown).
std::uint64_t cgroup_room() {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    const std::string dir = "/sys/fs/cgroup" + line.substr(3);
    std::ifstream max_file(dir + "/memory.max"), current_file(dir + "/memory.current");
    std::string max_text;
    std::uint64_t current = 0;
    if (!(max_file >> max_text) || max_text == "max" || !(current_file >> current)) return 0;
    // A file the kernel did not write as documented means "unknown", not a failed run.
    std::uint64_t limit = 0;
    const auto [end, error] =
        std::from_chars(max_text.data(), max_text.data() + max_text.size(), limit);
    if (error != std::errc() || end != max_text.data() + max_text.size()) return 0;
    return limit > current ? limit - current : 1;
  }
  return 0;
}

// MB below a GB, then GB, then TB (powers of 1024).
std::string megabytes(std::uint64_t bytes) {
  const double mb = double(bytes) / (1024.0 * 1024.0);
  if (mb < 1024) return fmt::format("{:.0f} MB", mb);
  if (mb < 1024.0 * 1024) return fmt::format("{:.1f} GB", mb / 1024);
  return fmt::format("{:.1f} TB", mb / (1024.0 * 1024));
}

}  // namespace

std::vector<MemoryNeed> memory_needs(const Study& s, int ranks) {
  std::vector<MemoryNeed> needs;
  add(needs, "process", kProcess, "");
  const bool sde = s.run.has_model("sde"), rw = s.run.has_model("rw");
  const double times = double(s.run.times.size());
  if (s.needs_mf()) {
    const double M = s.mf.M;
    // Ensembles keep MF at every output time on every rank.
    const double kept = sde || (rw && s.metrics.rw_against_mf) ? times * 2 * 8 * M * M : 0;
    add(needs, "mf", kMfPerPoint * rows_share(M, ranks) + kept,
        fmt::format("mf.M = {}{}", s.mf.M,
                    kept > 0 ? fmt::format(", {} output times", s.run.times.size()) : ""));
  }
  if (s.needs_mfeps()) {
    const double L = s.model.lattice;
    const double kept = rw ? times * 2 * 8 * L * L : 0;
    add(needs, "mfeps", kMfepsPerSite * rows_share(L, ranks) + kept,
        fmt::format("model.lattice = {}{}", s.model.lattice,
                    kept > 0 ? fmt::format(", {} output times", s.run.times.size()) : ""));
  }
  if (sde) add_particles(needs, s, "sde", kSdePerParticle);
  if (rw) add_particles(needs, s, "rw", kRwPerParticle);
  if (s.chaos.coupling && (sde || rw)) {
    // Force frames on every rank: MF's table as floats, two components; MFeps's g and
    // densities as doubles (32 bytes a site), and the veto coupling's tree over (sign,
    // site) of the smallest 2^D x 2^D square holding the lattice (about 112 bytes a cell).
    const double frames = double(s.chaos.frames + 1);
    const double table = std::max(s.mf.M, 128);
    const double L = s.model.lattice;
    double P = 1;
    while (P < L) P *= 2;
    add(needs, "chaos",
        (sde ? frames * 8 * table * table : 0) + (rw ? frames * 32 * L * L + 112 * P * P : 0),
        fmt::format("chaos.frames = {}{}{}", s.chaos.frames,
                    sde ? fmt::format(", mf.M = {}", s.mf.M) : "",
                    rw ? fmt::format(", model.lattice = {}", s.model.lattice) : ""));
  }
  if (s.run.has_model("exact2")) {
    const double L = s.model.lattice;
    const double M = L >= 64 ? L : L * std::ceil(64 / L);  // exact2's Fokker-Planck grid
    add(needs, "exact2", kExact2PerNode * (L * L + M * M),
        fmt::format("model.lattice = {}", s.model.lattice));
  }
  return needs;
}

std::uint64_t total_bytes(const std::vector<MemoryNeed>& needs) {
  double sum = 0;
  for (const auto& n : needs) sum += double(n.bytes);
  return saturated(sum);
}

std::uint64_t memory_per_rank(MPI_Comm comm) {
  if (const char* given = std::getenv("DISLO_MEMORY_PER_RANK")) return parse_bytes(given);
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  std::uint64_t room = mem_available();
  const std::uint64_t cgroup = cgroup_room();
  if (cgroup > 0 && (room == 0 || cgroup < room)) room = cgroup;
  if (room == 0)
    room = std::uint64_t(sysconf(_SC_PHYS_PAGES)) * std::uint64_t(sysconf(_SC_PAGESIZE));
  // The tightest node decides.
  std::uint64_t share = room / std::uint64_t(on_node);
  MPI_Allreduce(MPI_IN_PLACE, &share, 1, MPI_UINT64_T, MPI_MIN, comm);
  return share;
}

std::string memory_report(const std::vector<MemoryNeed>& needs, std::uint64_t per_rank) {
  std::string text;
  for (const auto& n : needs)
    text += fmt::format("# memory per rank: {:<8} {:>10}{}\n", n.part, megabytes(n.bytes),
                        n.keys.empty() ? "" : "  (" + n.keys + ")");
  text += fmt::format("# memory per rank: {:<8} {:>10} of {} available per rank\n", "total",
                      megabytes(total_bytes(needs)), megabytes(per_rank));
  return text;
}

namespace {
// "sde ~12 s, rw ~40 s" and their sum (seconds); empty without ensembles.
std::pair<std::string, double> forecast_parts(const Study& study, int ranks) {
  std::string joined;
  double total = 0;
  for (auto model : {ParticleModel::sde, ParticleModel::rw})
    if (study.run.has_model(to_string(model))) {
      const double seconds = std::ceil(forecast_seconds(study, model, ranks));
      joined +=
          fmt::format("{}{} ~{:.0f} s", joined.empty() ? "" : ", ", to_string(model), seconds);
      total += seconds;
    }
  return {joined, total};
}
constexpr const char* kForecastBasis = "benchmark throughputs; metrics not counted";
}  // namespace

std::string forecast_report(const Study& study, int ranks) {
  const auto [joined, total] = forecast_parts(study, ranks);
  if (joined.empty()) return "";
  return fmt::format("# forecast on {} rank{}: {} of simulation ({})\n", ranks,
                     ranks == 1 ? "" : "s", joined, kForecastBasis);
}

std::string forecast_report(const std::vector<Study>& points, int ranks) {
  if (points.size() == 1) return forecast_report(points[0], ranks);
  std::string lines;
  double total = 0;
  for (const Study& p : points) {
    const auto [joined, seconds] = forecast_parts(p, ranks);
    if (joined.empty()) continue;
    lines += fmt::format("#   point {}: {}\n", p.sweep.index, joined);
    total += seconds;
  }
  if (lines.empty()) return "";
  return fmt::format("# forecast on {} rank{} per sweep point ({}):\n{}", ranks,
                     ranks == 1 ? "" : "s", kForecastBasis, lines) +
         fmt::format("# forecast for the {} points: ~{:.0f} s of simulation\n", points.size(),
                     total);
}

std::size_t largest_point(const std::vector<Study>& points, int ranks) {
  std::size_t largest = 0;
  std::uint64_t most = 0;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const std::uint64_t bytes = total_bytes(memory_needs(points[k], ranks));
    if (bytes > most) most = bytes, largest = k;
  }
  return largest;
}

void check_memory(const Study& study, MPI_Comm comm) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  auto needs = memory_needs(study, ranks);
  const std::uint64_t per_rank = memory_per_rank(comm), total = total_bytes(needs);
  if (total <= per_rank) return;
  std::sort(needs.begin(), needs.end(),
            [](const MemoryNeed& a, const MemoryNeed& b) { return a.bytes > b.bytes; });
  std::vector<std::string> parts;
  for (const auto& n : needs)  // the parts that matter: a tenth of the total or more
    if (!n.keys.empty() && parts.size() < 3 && 10 * n.bytes >= total)
      parts.push_back(fmt::format("{} {} ({})", n.part, megabytes(n.bytes), n.keys));
  std::string listed;
  for (const auto& p : parts) listed += (listed.empty() ? "" : "; ") + p;
  throw InputError(fmt::format(
      "{}: needs about {} per rank, {} available per rank on {} rank{}: {}; reduce these keys "
      "or run on more ranks or nodes (DISLO_MEMORY_PER_RANK overrides the available memory)",
      study.source, megabytes(total), megabytes(per_rank), ranks, ranks == 1 ? "" : "s", listed));
}

}  // namespace dislo
