#include "dislo/distance.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "dislo/config.hpp"
#include "dislo/hdf5_handle.hpp"

namespace dislo {

namespace {

namespace fs = std::filesystem;
using h5::check;
using h5::Handle;

// One input file, read whole: points (with signs and weights) and/or a density.
struct Input {
  std::string file;
  Atoms points;           // weights normalised to sum 1 unless given
  std::vector<int> sign;  // +1 / -1, empty when the file has none
  std::optional<CellDensity> cells;
  std::vector<double> samples;  // a Fourier density's samples
  int N = 0;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {
    h5::quiet_hdf5();
    std::error_code ec;
    if (!fs::is_regular_file(file_, ec)) throw InputError(file_ + ": no such file");
    if (H5Fis_hdf5(file_.c_str()) <= 0) throw InputError(file_ + ": not an HDF5 file");
    const hid_t id = H5Fopen(file_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) throw InputError(file_ + ": cannot open the file");
    f_ = Handle(id, H5Fclose, "H5Fopen", file_);
  }
  bool has(const std::string& name) const {
    return h5::exists(f_.get(), name, where(name)) &&
           H5Oexists_by_name(f_.get(), name.c_str(), H5P_DEFAULT) > 0;
  }
  // A dataset of the given rank; dims receives its shape.
  std::vector<double> read(const std::string& name, int rank, std::vector<hsize_t>& dims) const {
    const std::string w = where(name);
    if (!has(name)) throw InputError(w + "missing");
    Handle d(H5Dopen2(f_.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2", w);
    Handle type(H5Dget_type(d.get()), H5Tclose, "H5Dget_type", w);
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw InputError(w + "holds no numbers");
    Handle space(H5Dget_space(d.get()), H5Sclose, "H5Dget_space", w);
    if (H5Sget_simple_extent_ndims(space.get()) != rank)
      throw InputError(fmt::format("{}expected {} dimension(s)", w, rank));
    dims.assign(std::size_t(rank), 0);
    check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims",
          w);
    const std::size_t count = h5::values_to_read(d.get(), space.get(), w);
    if (count == 0) throw InputError(w + "is empty");
    std::vector<double> v(count);
    check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "H5Dread",
          w);
    return v;
  }
  std::optional<std::string> string_attribute(const std::string& object,
                                              const std::string& name) const {
    if (H5Aexists_by_name(f_.get(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
      return std::nullopt;
    const std::string w = where(object);
    Handle a(H5Aopen_by_name(f_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
             H5Aclose, "H5Aopen_by_name", w);
    Handle type(H5Aget_type(a.get()), H5Tclose, "H5Aget_type", w);
    if (H5Tget_class(type.get()) != H5T_STRING)
      throw InputError(w + "attribute " + name + " is not a string");
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", w);
    check(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), "H5Tset_cset", w);  // h5py: UTF-8
    if (H5Tis_variable_str(type.get()) > 0) {
      check(H5Tset_size(mem.get(), H5T_VARIABLE), "H5Tset_size", w);
      char* s = nullptr;
      check(H5Aread(a.get(), mem.get(), &s), "H5Aread", w);
      std::string out = s ? s : "";
      H5free_memory(s);
      return out;
    }
    const std::size_t size = H5Tget_size(type.get());
    check(H5Tset_size(mem.get(), size + 1), "H5Tset_size", w);
    std::string out(size + 1, '\0');
    check(H5Aread(a.get(), mem.get(), out.data()), "H5Aread", w);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
  }
  std::string where(const std::string& name) const {
    return fmt::format("{}, dataset {}: ", file_, name);
  }

 private:
  std::string file_;
  Handle f_;
};

void read_points(const Reader& r, Input& in) {
  std::vector<hsize_t> dx, dy;
  in.points.x = r.read("/points/x", 1, dx);
  in.points.y = r.read("/points/y", 1, dy);
  const std::size_t n = in.points.x.size();
  if (dy[0] != n) throw InputError(r.where("/points/y") + "has another length than /points/x");
  for (std::size_t i = 0; i < n; ++i)
    for (double* u : {&in.points.x[i], &in.points.y[i]}) {
      if (!std::isfinite(*u)) throw InputError(r.where("/points/x|y") + "holds a non-finite value");
      *u -= std::floor(*u);  // onto [0, 1)
      if (*u >= 1) *u = 0;
    }
  in.points.w.assign(n, 1.0 / double(n));
  std::vector<hsize_t> d;
  if (r.has("/points/weight")) {
    in.points.w = r.read("/points/weight", 1, d);
    if (d[0] != n)
      throw InputError(r.where("/points/weight") + "has another length than /points/x");
    for (double w : in.points.w)
      if (!(w >= 0) || !std::isfinite(w))
        throw InputError(r.where("/points/weight") + "weights must be finite and >= 0");
  }
  if (r.has("/points/sign")) {
    const auto s = r.read("/points/sign", 1, d);
    if (d[0] != n) throw InputError(r.where("/points/sign") + "has another length than /points/x");
    for (double v : s) {
      if (v != 1 && v != -1) throw InputError(r.where("/points/sign") + "signs must be +1 or -1");
      in.sign.push_back(int(v));
    }
  }
}

void read_density(const Reader& r, Input& in) {
  std::vector<hsize_t> d;
  auto values = r.read("/density/rho", 2, d);
  if (d[0] != d[1]) throw InputError(r.where("/density/rho") + "must be square [M, M]");
  for (double v : values)
    if (!(v >= 0) || !std::isfinite(v))
      throw InputError(r.where("/density/rho") + "values must be finite and >= 0");
  const int M = int(d[0]);
  if (r.string_attribute("/density/rho", "kind").value_or("cells") == "fourier") {
    in.samples = std::move(values);
    in.N = M;
    return;
  }
  for (double& v : values) v /= double(M) * M;  // cell masses
  in.cells = CellDensity{M, std::move(values), 0.0};
}

Input read_whole(const std::string& file) {
  const Reader r(file);
  Input in;
  in.file = file;
  if (r.has("/points/x")) read_points(r, in);
  if (r.has("/density/rho")) read_density(r, in);
  if (in.points.x.empty() && !in.cells && in.samples.empty())
    throw InputError(file + ": holds neither /points/x and /points/y nor /density/rho");
  return in;
}

Input read_input(const std::string& file) {
  return h5::read_user_file(file, [&] { return read_whole(file); });
}

Atoms select(const Input& in, int sign) {
  Atoms a;
  for (std::size_t i = 0; i < in.points.x.size(); ++i)
    if (sign == 0 || in.sign[i] == sign) {
      a.x.push_back(in.points.x[i]);
      a.y.push_back(in.points.y[i]);
      a.w.push_back(in.points.w[i]);
    }
  return a;
}

}  // namespace

std::vector<DistanceRow> compute_distances(const DistanceRequest& request) {
  if (request.inputs.empty() || request.inputs.size() > 2)
    throw InputError("dislo distance: give one or two input files");
  for (const auto& k : request.kinds)
    if (k != "w1" && k != "bl")
      throw InputError("dislo distance: --kinds " + k + ": valid kinds are w1, bl");
  if (!(request.tolerance > 0 && request.tolerance <= 1))
    throw InputError(
        fmt::format("dislo distance: --tolerance {}: valid range (0, 1]", request.tolerance));
  const Input a = read_input(request.inputs[0]);
  if (a.points.x.empty()) throw InputError(a.file + ": the first file must hold /points");
  std::optional<Input> b;
  if (request.inputs.size() == 2) b = read_input(request.inputs[1]);
  const Input& other = b ? *b : a;
  CertifiedOptions options;
  options.tolerance = request.tolerance;
  options.want_bl = true;
  std::vector<std::pair<std::string, int>> signs{{"all", 0}};
  if (!a.sign.empty()) signs.insert(signs.begin(), {{"plus", 1}, {"minus", -1}});
  std::vector<DistanceRow> rows;
  for (const auto& [name, sign] : signs) {
    const Atoms atoms = select(a, sign);
    // A density is compared at the points' mass (bl is not normalised).
    const double mass = atoms.total();
    const auto t0 = std::chrono::steady_clock::now();
    CertifiedDistances d;
    // The library refuses what it cannot certify (a Fourier series that dips below zero
    // between its samples, too many pairs of points): the user's input, so exit 2.
    try {
      if (b && !b->points.x.empty()) {
        d = certified_distances(atoms, b->sign.empty() || sign == 0 ? b->points : select(*b, sign),
                                options);
      } else if (!other.samples.empty()) {
        std::vector<double> samples = other.samples;
        const double mean =
            std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
        if (!(mean > 0)) throw InputError(other.file + ": /density/rho has no mass");
        for (double& v : samples) v *= mass / mean;
        d = certified_distances(atoms, samples, other.N, options);
      } else if (other.cells) {
        CellDensity cells = *other.cells;
        const double total = cells.total();
        if (!(total > 0)) throw InputError(other.file + ": /density/rho has no mass");
        for (double& v : cells.mass) v *= mass / total;
        d = certified_distances(atoms, cells, options);
      } else {  // the uniform density
        d = certified_distances(atoms, CellDensity{1, {mass}, 0.0}, options);
      }
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}: {}", b ? b->file : a.file, e.what()));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& k : request.kinds)
      rows.push_back({k, name, k == "w1" ? d.w1 : d.bl, seconds, d.grid});
  }
  return rows;
}

std::string to_json_lines(const std::vector<DistanceRow>& rows) {
  std::string out;
  for (const auto& r : rows)
    out += fmt::format(
        "{{\"kind\": \"{}\", \"sign\": \"{}\", \"value\": {:.17g}, \"lower\": {:.17g}, "
        "\"upper\": {:.17g}, \"seconds\": {:.6g}, \"grid\": {}}}\n",
        r.kind, r.sign, r.bracket.mid(), r.bracket.lower, r.bracket.upper, r.seconds, r.grid);
  return out;
}

void write_distances(const std::string& path, const std::vector<DistanceRow>& rows) {
  h5::quiet_hdf5();
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    const hid_t id = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (id < 0) throw InputError(path + ": cannot create the output beside it (" + tmp + ")");
    Handle f(id, H5Fclose, "H5Fcreate", tmp);
    Handle top(H5Gcreate2(f.get(), "distance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
               "H5Gcreate2", tmp);
    for (const auto& r : rows) {
      const std::string name = r.kind + "_" + r.sign;
      Handle g(H5Gcreate2(top.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
               "H5Gcreate2", tmp + ":" + name);
      Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", tmp);
      auto attribute = [&](const char* key, double v, hid_t type) {
        Handle a(H5Acreate2(g.get(), key, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                 "H5Acreate2", tmp + ":" + name);
        if (type == H5T_NATIVE_INT) {
          const int i = int(v);
          check(H5Awrite(a.get(), type, &i), "H5Awrite", tmp);
        } else {
          check(H5Awrite(a.get(), type, &v), "H5Awrite", tmp);
        }
      };
      attribute("value", r.bracket.mid(), H5T_NATIVE_DOUBLE);
      attribute("lower", r.bracket.lower, H5T_NATIVE_DOUBLE);
      attribute("upper", r.bracket.upper, H5T_NATIVE_DOUBLE);
      attribute("seconds", r.seconds, H5T_NATIVE_DOUBLE);
      attribute("grid", double(r.grid), H5T_NATIVE_INT);
    }
    top.reset();
    f.close("H5Fclose", tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(path + ": cannot rename the finished output into place");
  }
}

}  // namespace dislo
