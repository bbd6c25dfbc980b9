// dislo collect: finished runs merged into one table (docs/hdf5-layout.md, "Collected
// tables"). Serial HDF5 on one rank; the table is written to PATH.tmp-PID and renamed.
#include <fmt/format.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/hdf5_handle.hpp"
#include "dislo/io.hpp"
#include "dislo/version.hpp"

namespace dislo {
namespace {

namespace fs = std::filesystem;
using h5::check;
using h5::Handle;

// 1-D datasets of a run that are not indexed by output time.
const std::set<std::string> kNotPerTime{"times", "kappa", "r"};

std::string read_string_attribute(hid_t object, const char* name, const std::string& where) {
  Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, "H5Aopen", where);
  Handle type(H5Aget_type(attr.get()), H5Tclose, "H5Aget_type", where);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw InputError(fmt::format("{}: attribute {} is not a string", where, name));
  if (H5Tis_variable_str(type.get()) > 0) {
    // Read in the file's own type: HDF5 converts no character sets (ASCII <-> UTF-8).
    char* text = nullptr;
    check(H5Aread(attr.get(), type.get(), &text), "H5Aread", where);
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  std::string out(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), out.data()), "H5Aread", where);
  if (auto end = out.find('\0'); end != std::string::npos) out.resize(end);
  return out;
}

std::optional<double> numeric_attribute(hid_t file, const char* object, const char* name,
                                        const std::string& where) {
  if (H5Aexists_by_name(file, object, name, H5P_DEFAULT) <= 0) return std::nullopt;
  Handle attr(H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              "H5Aopen_by_name", where);
  double value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), "H5Aread", where);
  return value;
}

struct Run {
  std::string path;
  Study study;
  long point = 0;
  std::vector<double> times;
  std::map<std::string, std::vector<double>> columns;  // per-time datasets, by path
  std::map<std::string, double> scalars;               // per-run numbers, by column name
};

struct VisitContext {
  Run* run;
  std::string where;
};

herr_t visit_dataset(hid_t file, const char* name, const H5O_info_t* info, void* data) {
  auto* ctx = static_cast<VisitContext*>(data);
  if (info->type != H5O_TYPE_DATASET) return 0;
  const std::string path = name;
  const auto slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (kNotPerTime.count(base)) return 0;
  const std::string where = ctx->where + ", dataset /" + path;
  Handle d(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  Handle space(H5Dget_space(d.get()), H5Sclose, "H5Dget_space", where);
  Handle type(H5Dget_type(d.get()), H5Tclose, "H5Dget_type", where);
  if (H5Sget_simple_extent_ndims(space.get()) != 1 || H5Tget_class(type.get()) != H5T_FLOAT)
    return 0;
  hsize_t length = 0;
  check(H5Sget_simple_extent_dims(space.get(), &length, nullptr), "H5Sget_simple_extent_dims",
        where);
  if (length != ctx->run->times.size()) return 0;
  std::vector<double> values(length);
  check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        "H5Dread", where);
  ctx->run->columns[path] = std::move(values);
  return 0;
}

Run read_whole_run(const std::string& path, long order) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError(fmt::format("{}: no such file", path));
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(fmt::format("{}: not an HDF5 file", path));
  const hid_t fid = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) throw InputError(fmt::format("{}: cannot open the file", path));
  Handle file(fid, H5Fclose, "H5Fopen", path);
  if (H5Aexists(file.get(), "study") <= 0 || H5Lexists(file.get(), "/times", H5P_DEFAULT) <= 0)
    throw InputError(fmt::format("{}: not a dislo output (no /times or study attribute)", path));
  Run run;
  run.path = path;
  run.point = order;
  run.study =
      parse_study(read_string_attribute(file.get(), "study", path), path + ", attribute study");
  {
    Handle d(H5Dopen2(file.get(), "/times", H5P_DEFAULT), H5Dclose, "H5Dopen2", path);
    Handle space(H5Dget_space(d.get()), H5Sclose, "H5Dget_space", path);
    run.times.resize(h5::values_to_read(d.get(), space.get(), path + ", dataset /times: "));
    check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, run.times.data()),
          "H5Dread", path);
  }
  if (auto index = numeric_attribute(file.get(), "/", "sweep_index", path))
    run.point = static_cast<long>(*index);
  for (const char* model : {"sde", "rw"}) {
    const std::string group = fmt::format("/{}/replicas", model);
    if (H5Lexists(file.get(), model, H5P_DEFAULT) > 0 &&
        H5Lexists(file.get(), group.c_str(), H5P_DEFAULT) > 0)
      if (auto count = numeric_attribute(file.get(), group.c_str(), "count", path))
        run.scalars[fmt::format("{}/replicas", model)] = *count;
  }
  if (H5Lexists(file.get(), "/summary", H5P_DEFAULT) > 0)
    if (auto w = numeric_attribute(file.get(), "/summary", "wall_seconds", path))
      run.scalars["wall_seconds"] = *w;
  VisitContext ctx{&run, path};
  check(H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_INC, visit_dataset, &ctx, H5O_INFO_BASIC),
        "H5Ovisit", path);
  return run;
}

Run read_run(const std::string& path, long order) {
  return h5::read_user_file(path, [&] { return read_whole_run(path, order); });
}

void write_column(hid_t file, const std::string& name, hid_t mem_type, hid_t file_type,
                  const void* data, hsize_t rows, const std::string& where) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate", where);
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group", where);
  Handle space(H5Screate_simple(1, &rows, nullptr), H5Sclose, "H5Screate_simple", where);
  Handle d(
      H5Dcreate2(file, name.c_str(), file_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", where + ", column " + name);
  check(H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite",
        where + ", column " + name);
}

void write_strings(hid_t file, const std::string& name, const std::vector<std::string>& values,
                   const std::string& where) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", where);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", where);
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", where);
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  write_column(file, name, type.get(), type.get(), pointers.data(), values.size(), where);
}

// Every input, checked and read, sweep points in their order, other runs as given.
std::vector<Run> read_runs(const std::vector<std::string>& inputs, const std::string& output) {
  std::set<std::string> seen;
  std::vector<Run> runs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string canonical = fs::weakly_canonical(inputs[i]).string();
    if (!seen.insert(canonical).second)
      throw InputError(fmt::format("{}: listed twice", inputs[i]));
    if (canonical == fs::weakly_canonical(output).string())
      throw InputError(fmt::format("{}: is also the output table", inputs[i]));
    runs.push_back(read_run(inputs[i], long(i)));
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& a, const Run& b) { return a.point < b.point; });
  return runs;
}

// The collected table: one row per (run, output time).
struct Table {
  std::size_t rows = 0;
  std::vector<std::int64_t> point, file_index, n, n_plus, lattice, seed;
  std::vector<double> t, eps, delta, beta, T;
  std::vector<std::string> kernel;
  std::map<std::string, std::vector<double>> values;  // NaN where a run lacks the column

  void add_parameters(const Run& r, std::size_t f, std::size_t k) {
    const ModelParams& m = r.study.model;
    point.push_back(r.point);
    file_index.push_back(std::int64_t(f));
    t.push_back(r.times[k]);
    n.push_back(m.n);
    n_plus.push_back(m.n_plus ? *m.n_plus : -1);
    lattice.push_back(m.lattice);
    eps.push_back(m.eps());
    delta.push_back(m.delta);
    beta.push_back(m.beta);
    T.push_back(m.T);
    seed.push_back(std::int64_t(r.study.run.seed));
    kernel.emplace_back(to_string(r.study.kernel));
  }
};

Table build_table(const std::vector<Run>& runs) {
  Table table;
  std::set<std::string> value_names, scalar_names;
  for (const auto& r : runs) {
    for (const auto& [name, v] : r.columns) value_names.insert(name);
    for (const auto& [name, v] : r.scalars) scalar_names.insert(name);
    table.rows += r.times.size();
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t f = 0; f < runs.size(); ++f) {
    const Run& r = runs[f];
    for (std::size_t k = 0; k < r.times.size(); ++k) {
      table.add_parameters(r, f, k);
      for (const auto& name : value_names) {
        const auto it = r.columns.find(name);
        table.values[name].push_back(it == r.columns.end() ? nan : it->second[k]);
      }
      for (const auto& name : scalar_names) {
        const auto it = r.scalars.find(name);
        table.values[name].push_back(it == r.scalars.end() ? nan : it->second);
      }
    }
  }
  return table;
}

void write_table(hid_t file, const Table& table, const std::vector<Run>& runs,
                 const std::string& where) {
  const hsize_t rows = table.rows;
  const auto ints = [&](const char* name, const std::vector<std::int64_t>& v) {
    write_column(file, name, H5T_NATIVE_INT64, H5T_STD_I64LE, v.data(), rows, where);
  };
  const auto doubles = [&](const std::string& name, const std::vector<double>& v) {
    write_column(file, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, v.data(), rows, where);
  };
  ints("point", table.point);
  ints("file", table.file_index);
  ints("n", table.n);
  ints("n_plus", table.n_plus);
  ints("lattice", table.lattice);
  ints("seed", table.seed);
  doubles("t", table.t);
  doubles("eps", table.eps);
  doubles("delta", table.delta);
  doubles("beta", table.beta);
  doubles("T", table.T);
  write_strings(file, "kernel", table.kernel, where);
  for (const auto& [name, v] : table.values) doubles(name, v);
  // /sources [files]: row i came from sources[file[i]].
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", where);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", where);
  std::vector<const char*> pointers;
  for (const auto& r : runs) pointers.push_back(r.path.c_str());
  write_column(file, "sources", type.get(), type.get(), pointers.data(), runs.size(), where);
}

void write_table_attributes(hid_t file, std::size_t rows, const std::string& where) {
  const auto attribute = [&](const char* name, hid_t type, const void* value) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", where);
    Handle a(H5Acreate2(file, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
             "H5Acreate2", where);
    check(H5Awrite(a.get(), type, value), "H5Awrite", where);
  };
  const std::int64_t row_count = std::int64_t(rows);
  attribute("rows", H5T_NATIVE_INT64, &row_count);
  Handle str(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", where);
  check(H5Tset_size(str.get(), H5T_VARIABLE), "H5Tset_size", where);
  const std::string v = version();
  const char* vp = v.c_str();
  attribute("dislo_version", str.get(), &vp);
}

}  // namespace

std::size_t collect_runs(const std::vector<std::string>& inputs, const std::string& output) {
  h5::quiet_hdf5();
  if (inputs.empty()) throw InputError("dislo collect: no input files");
  const std::vector<Run> runs = read_runs(inputs, output);
  const Table table = build_table(runs);
  const std::string tmp = fmt::format("{}.tmp-{}", output, ::getpid());
  try {
    Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                "H5Fcreate", tmp);
    write_table(file.get(), table, runs, tmp);
    write_table_attributes(file.get(), table.rows, tmp);
    file.close("H5Fclose", tmp);
    fs::rename(tmp, output);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  return table.rows;
}

}  // namespace dislo
