// The front door: dislo run | check | info (contract.md, "Command line").
#include <fftw3.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <hdf5.h>
#include <mpi.h>
#include <petscsys.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "dislo/checkpoint.hpp"
#include "dislo/config.hpp"
#include "dislo/distance.hpp"
#include "dislo/petsc_options.hpp"
#include "dislo/preflight.hpp"
#include "dislo/progress.hpp"
#include "dislo/run.hpp"
#include "dislo/signals.hpp"
#include "dislo/version.hpp"

namespace {

// PETSc options begin with one dash; a following word not starting with '-' and not a
// study file is their value. Everything else is dislo's.
void split_arguments(int argc, char** argv, std::vector<std::string>& ours,
                     std::vector<std::string>& petsc) {
  const std::vector<std::string> dislo_short{"-o", "-h"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool single_dash = a.size() > 1 && a[0] == '-' && a[1] != '-';
    const bool is_ours = std::find(dislo_short.begin(), dislo_short.end(), a) != dislo_short.end();
    if (single_dash && !is_ours &&
        !(a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
      petsc.push_back(a);
      if (i + 1 < argc) {
        const std::string next = argv[i + 1];
        const bool is_value =
            !next.empty() && next[0] != '-' && !(next.size() > 5 && next.ends_with(".toml"));
        if (is_value) petsc.push_back(argv[++i]);
      }
    } else {
      ours.push_back(a);
    }
  }
}

void print_info() {
  PetscInt major = 0, minor = 0, sub = 0;
  PetscGetVersionNumber(&major, &minor, &sub, nullptr);
  unsigned hmaj, hmin, hrel;
  H5get_libversion(&hmaj, &hmin, &hrel);
  char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(mpi_version, &len);
  std::string mpi(mpi_version, len);
  if (auto nl = mpi.find('\n'); nl != std::string::npos) mpi.resize(nl);
  fmt::print(
      "dislo {}\ngit revision: {}\nbuild type: {}\nPETSc: {}.{}.{} ({}-bit indices, {} scalars)\n"
      "FFTW: {}\nHDF5: {}.{}.{}\nMPI: {}\ncompiler: {}\nflags: {}\n",
      dislo::version(), dislo::git_revision(), dislo::build_type(), major, minor, sub,
      8 * sizeof(PetscInt), PetscDefined(USE_COMPLEX) ? "complex" : "real", fftw_version, hmaj,
      hmin, hrel, mpi, dislo::compiler(), dislo::compile_flags());
  // Where each dependency was found, one line each.
  std::string paths = dislo::dependency_paths();
  for (std::size_t start = 0; start < paths.size();) {
    const std::size_t end = std::min(paths.find('\n', start), paths.size());
    fmt::print("found {}\n", paths.substr(start, end - start));
    start = end + 1;
  }
}

// The study file's points, or without one the built-in study's (examples/default.toml).
std::vector<dislo::Study> study_points(const std::string& file,
                                       const std::vector<std::string>& sets) {
  if (file.empty())
    return dislo::parse_sweep(std::string(dislo::builtin_study_text()), dislo::kBuiltinStudyName,
                              sets);
  return dislo::load_sweep(file, sets);
}

// The studies to run: one point with --sweep-index, else all; -o names the single
// output, or the table of a whole sweep (its points' outputs follow from it).
std::vector<dislo::Study> select_points(std::vector<dislo::Study> points, long index,
                                        const std::string& output) {
  const bool sweep = points[0].sweep.index >= 0;
  if (index >= 0) {
    if (!sweep)
      throw dislo::InputError(
          fmt::format("{}: --sweep-index {}: the study has no [sweep]", points[0].source, index));
    if (index >= long(points.size()))
      throw dislo::InputError(fmt::format("{}: --sweep-index {}: the sweep has {} points (0 to {})",
                                          points[0].source, index, points.size(),
                                          points.size() - 1));
    points = {points[std::size_t(index)]};
    if (!output.empty()) points[0].run.output = output;
    return points;
  }
  if (!output.empty())
    for (auto& p : points) {
      p.run.output =
          sweep ? dislo::sweep_point_output(output, p.sweep.index, p.sweep.points) : output;
      p.sweep.table = output;
    }
  return points;
}

void print_check(const std::vector<dislo::Study>& points, long index) {
  const auto& first = points[0];
  if (first.sweep.index >= 0 && index < 0) {
    fmt::print("# sweep of {} points into {}; point 0 follows\n", points.size(), first.sweep.table);
    for (const auto& p : points) fmt::print("#   point {}: {}\n", p.sweep.index, p.run.output);
  }
  fmt::print("{}{}", dislo::to_toml(first), dislo::resolved_comments(first));
}

// dislo distance: on rank 0 (the others wait); results as JSON lines or an HDF5 file.
void run_distance(dislo::DistanceRequest request, const std::string& kinds,
                  const std::string& output) {
  request.kinds.clear();
  std::size_t start = 0;
  while (start <= kinds.size()) {
    const std::size_t comma = std::min(kinds.find(',', start), kinds.size());
    request.kinds.push_back(kinds.substr(start, comma - start));
    start = comma + 1;
  }
  const auto rows = dislo::compute_distances(request);
  if (output.empty()) {
    fmt::print("{}", dislo::to_json_lines(rows));
  } else {
    dislo::write_distances(output, rows);
    fmt::print("{} distances -> {}\n", rows.size(), output);
  }
}

// A table of the time per phase that ran (sde and rw include their metrics, also shown on
// their own) and where the results are.
void print_summary(const dislo::RunSummary& s, const std::string& output) {
  const std::pair<const char*, double> phases[] = {
      {"setup", s.seconds_setup},   {"mf", s.seconds_mf},   {"mfeps", s.seconds_mfeps},
      {"exact2", s.seconds_exact2}, {"sde", s.seconds_sde}, {"rw", s.seconds_rw},
      {"io", s.seconds_io}};
  const double total = std::max(s.wall_seconds, 1e-300);
  std::string table = fmt::format("{:<22} {:>10} {:>7}\n", "phase", "seconds", "share");
  for (const auto& [name, seconds] : phases)
    if (seconds > 0)
      table += fmt::format("{:<22} {:>10.2f} {:>6.1f}%\n", name, seconds, 100 * seconds / total);
  if (s.seconds_metrics > 0)
    table += fmt::format("{:<22} {:>10.2f} {:>6.1f}%\n", "  (metrics, in sde/rw)",
                         s.seconds_metrics, 100 * s.seconds_metrics / total);
  table += fmt::format("{:<22} {:>10.2f}\n", "total", s.wall_seconds);
  dislo::progress("done in {:.2f} s -> {}\n{}", s.wall_seconds, output, table);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  std::vector<std::string> ours, petsc_args;
  split_arguments(argc, argv, ours, petsc_args);

  CLI::App app{"dislo: dislocation dynamics across scales (RW, SDE, MFeps, MF)"};
  app.require_subcommand(1);
  std::string study_file, output;
  std::vector<std::string> sets;
  auto* run_cmd = app.add_subcommand(
      "run", "run a study (without STUDY: the built-in study, examples/default.toml)");
  run_cmd->add_option("study", study_file, "study file (TOML)");
  run_cmd->add_option("-o,--output", output, "output HDF5 file (overrides run.output)");
  run_cmd->add_option("--set", sets, "override a study key: section.key=value")->take_all();
  bool resume = false;
  run_cmd->add_flag("--resume", resume,
                    "continue from the checkpoint an interrupted run left beside the output");
  long sweep_index = -1;
  const auto index_help = "only this point (0-based) of the study's [sweep]";
  run_cmd->add_option("--sweep-index", sweep_index, index_help)->check(CLI::NonNegativeNumber);
  bool overwrite = false;
  run_cmd->add_flag("--overwrite", overwrite, "replace an existing output (also run.overwrite)");
  bool strict = false;
  const auto strict_help =
      "warnings are errors: exit 2 before any work, or after the run for unused PETSc options "
      "(also run.strict)";
  run_cmd->add_flag("--strict", strict, strict_help);
  bool quiet = false;
  run_cmd->add_flag("--quiet", quiet,
                    "no progress lines and no summary; warnings and errors are still shown");
  auto* check_cmd = app.add_subcommand("check", "validate a study and print it resolved");
  check_cmd->add_flag("--strict", strict, strict_help);
  check_cmd->add_option("study", study_file, "study file (TOML)");
  check_cmd->add_option("--set", sets, "override a study key: section.key=value")->take_all();
  check_cmd->add_option("--sweep-index", sweep_index, index_help)->check(CLI::NonNegativeNumber);
  std::vector<std::string> inputs;
  auto* collect_cmd = app.add_subcommand(
      "collect", "merge finished runs into one table (one row per run and time)");
  std::string sweep_study;
  auto* inputs_opt = collect_cmd->add_option("inputs", inputs, "dislo output files");
  auto* sweep_opt = collect_cmd->add_option(
      "--sweep", sweep_study, "collect every point of this study's [sweep] into its table");
  collect_cmd->add_option("--set", sets, "override a study key (with --sweep)")->take_all();
  collect_cmd->add_option("-o,--output", output, "the table (HDF5; with --sweep: run.output)");
  inputs_opt->excludes(sweep_opt);
  collect_cmd->callback([&] {
    if (inputs.empty() && sweep_study.empty())
      throw CLI::ValidationError("collect", "give the runs' files or --sweep STUDY");
    if (!inputs.empty() && output.empty())
      throw CLI::ValidationError("collect", "-o TABLE is required with input files");
  });
  app.add_subcommand("info", "version, git revision, library versions, build type");
  dislo::DistanceRequest distance;
  std::string kinds = "w1,bl";
  auto* distance_cmd = app.add_subcommand(
      "distance", "certified w1 and bl between points and a density, or two point sets");
  distance_cmd->add_option("inputs", distance.inputs, "A.h5 (points) [B.h5 (density or points)]")
      ->required()
      ->expected(1, 2);
  distance_cmd->add_option("--kinds", kinds, "comma-separated: w1, bl");
  distance_cmd->add_option("--tolerance", distance.tolerance, "relative bracket width (0, 1]");
  distance_cmd->add_option("-o,--output", output, "HDF5 output (default: JSON lines on stdout)");

  std::vector<std::string> reversed(ours.rbegin(), ours.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (rank == 0) app.exit(e);
    MPI_Finalize();
    return e.get_exit_code() == 0 ? 0 : 2;
  }
  dislo::set_progress(!quiet);

  std::vector<char*> pargv{argv[0]};
  for (auto& a : petsc_args) pargv.push_back(a.data());
  int pargc = static_cast<int>(pargv.size());
  char** pargv_ptr = pargv.data();
  if (PetscInitialize(&pargc, &pargv_ptr, nullptr, nullptr) != 0) {
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  int status = 0;
  try {
    if (app.got_subcommand("info")) {
      if (rank == 0) print_info();
    } else if (app.got_subcommand("distance")) {
      if (rank == 0) run_distance(distance, kinds, output);
    } else if (app.got_subcommand("collect")) {
      if (!sweep_study.empty()) {
        // The points are the files the study's sweep writes; -o names only the table.
        const auto sweep = dislo::sweep_outputs(sweep_study, sets);
        inputs = sweep.points;
        if (output.empty()) output = sweep.table;
      }
      const auto rows = dislo::collect(PETSC_COMM_WORLD, inputs, output);
      if (rank == 0) fmt::print("{} runs, {} rows -> {}\n", inputs.size(), rows, output);
    } else {
      auto points = select_points(study_points(study_file, sets), sweep_index, output);
      std::set<std::string> warnings;  // the points of a sweep often share them
      for (auto& p : points) {
        p.run.overwrite = p.run.overwrite || overwrite;
        warnings.insert(p.warnings.begin(), p.warnings.end());
        strict = strict || p.run.strict;
      }
      if (rank == 0)
        for (const auto& w : warnings) fmt::print(stderr, "warning: {}\n", w);
      if (strict && !warnings.empty())
        throw dislo::InputError(
            fmt::format("{} warning{} with --strict (or run.strict = true): nothing was run",
                        warnings.size(), warnings.size() == 1 ? "" : "s"));
      if (app.got_subcommand("check")) {
        if (rank == 0) print_check(points, sweep_index);
        // Collective: every rank takes its share of the node's memory. A sweep's memory is
        // that of its largest point; its forecast, every point's.
        const std::size_t largest = dislo::largest_point(points, size);
        const auto report = dislo::memory_report(dislo::memory_needs(points[largest], size),
                                                 dislo::memory_per_rank(PETSC_COMM_WORLD));
        if (rank == 0) {
          if (points.size() > 1)
            fmt::print("# memory of sweep point {} (the largest):\n", points[largest].sweep.index);
          fmt::print("{}{}", report, dislo::forecast_report(points, size));
        }
        for (const auto& p : points) dislo::check_memory(p, PETSC_COMM_WORLD);
      } else if (points.size() > 1 || (points[0].sweep.index >= 0 && sweep_index < 0)) {
        dislo::install_interrupt_handlers();
        dislo::run_sweep(PETSC_COMM_WORLD, points, resume);
      } else {
        dislo::install_interrupt_handlers();
        const std::string output_path = points[0].run.output;
        dislo::Run run(PETSC_COMM_WORLD, std::move(points[0]), resume);
        const auto summary = run.run();
        if (rank == 0) print_summary(summary, output_path);
      }
    }
  } catch (const dislo::Interrupted& e) {
    // Every rank stopped together and the checkpoint is on disk.
    if (rank == 0) fmt::print(stderr, "dislo: {}\n", e.what());
    status = dislo::kExitInterrupted;
  } catch (const dislo::InputError& e) {
    // Bad input is found identically on every rank: report once, leave cleanly.
    if (rank == 0) fmt::print(stderr, "dislo: error: {}\n", e.what());
    status = 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dislo: error{}: {}\n", size > 1 ? fmt::format(" (rank {})", rank) : "",
               e.what());
    status = 1;
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, status);
  }
  // Only a run reads solver options (check, collect, distance read none). They are known
  // unused only now: --strict makes them exit 2 after the run (its output is kept).
  if (status == 0 && app.got_subcommand("run")) {
    const auto unused = dislo::unused_petsc_options();  // the same on every rank
    if (rank == 0)
      for (const auto& line : unused) fmt::print(stderr, "warning: {}\n", line);
    if (strict && !unused.empty()) {
      if (rank == 0)
        fmt::print(stderr, "dislo: error: {} unused PETSc option{} with --strict\n", unused.size(),
                   unused.size() == 1 ? "" : "s");
      status = 2;
    }
  }
  PetscFinalize();
  MPI_Finalize();
  return status;
}
