// The HDF5 output file (contract.md, "HDF5 output"; layout in docs/hdf5-layout.md).
// Parallel HDF5 (MPI-IO driver) on the communicator given to OutputFile; every public
// member is collective. Data go to PATH.tmp-SUFFIX; finalise() renames to PATH and writes
// the XDMF sidecar, both atomically, on rank 0.
#include "dislo/io.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "dislo/config.hpp"
#include "dislo/hdf5_handle.hpp"

namespace dislo {
namespace {

namespace fs = std::filesystem;

// Largest chunk of a field dataset, in bytes.
constexpr std::size_t kMaxChunkBytes = std::size_t{4} << 20;

using h5::check;
using h5::exists;
using h5::Handle;
using h5::hdf5_fail;
using h5::normalise;
using h5::quiet_hdf5;

Handle intermediate_lcpl(const std::string& what) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate(link create)", what);
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group", what);
  return lcpl;
}

Handle collective_dxpl(const std::string& what) {
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "H5Pcreate(dataset xfer)", what);
  check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio", what);
  return dxpl;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string xdmf_path_of(const std::string& path) {
  const std::string ext = ".h5";
  if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) {
    return path.substr(0, path.size() - ext.size()) + ".xmf";
  }
  return path + ".xmf";
}

// Broadcasts a string from rank 0.
std::string broadcast(MPI_Comm comm, const std::string& s) {
  unsigned long long n = s.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  std::string out = s;
  out.resize(n);
  if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, comm);
  return out;
}

}  // namespace

namespace {

// The nearest existing directory of a path (its parent may not exist yet).
fs::path existing_directory(const fs::path& path) {
  std::error_code ec;
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  while (!dir.empty() && !fs::exists(dir, ec))
    dir = dir.has_parent_path() ? dir.parent_path() : ".";
  return dir;
}

constexpr const char* kFileSizeLimit = "the process's file-size limit (ulimit -f)";

// Bytes that can still be written in dir: its file system's free space, and at most the
// process's file-size limit (ulimit -f), whichever is less; and which of the two that is.
std::pair<std::uint64_t, const char*> room_in(const fs::path& dir) {
  std::uint64_t room = std::numeric_limits<std::uint64_t>::max();
  const char* bound = "no bound";
  struct statvfs fs_info {};
  if (statvfs(dir.c_str(), &fs_info) == 0) {
    room = std::uint64_t(fs_info.f_bavail) * fs_info.f_frsize;
    bound = "free space";
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      std::uint64_t(limit.rlim_cur) < room) {
    room = std::uint64_t(limit.rlim_cur);
    bound = kFileSizeLimit;
  }
  return {room, bound};
}

// Why a write to `file` may have failed: the process's file-size limit, or a file system
// with (almost) no room left. Empty when neither applies.
std::string storage_problem(const std::string& file) {
  const fs::path dir = existing_directory(file);
  const auto [room, bound] = room_in(dir);
  if (bound == kFileSizeLimit)
    return fmt::format("{}: {} is {} bytes", std::strerror(EFBIG), bound, room);
  constexpr std::uint64_t kAlmostFull = 1 << 20;
  if (room < kAlmostFull)
    return fmt::format("{}: {} bytes free in {}", std::strerror(ENOSPC), room, dir.string());
  return {};
}

}  // namespace

struct OutputFile::Impl {
  struct Field {
    std::string name;
    std::vector<double> times;
    int G = 0;
    bool xdmf = true;
    Handle dataset;
  };

  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  std::string path;
  std::string tmp_path;
  std::string suffix;
  Handle file;
  std::vector<Field> fields;
  bool finalised = false;
  mutable bool write_failed = false;

  std::string what(const std::string& object) const { return tmp_path + ":" + object; }

  void require_open() const {
    if (!file.valid()) throw std::logic_error("OutputFile " + path + " is already closed");
  }

  Field& field(const std::string& name) {
    for (auto& f : fields) {
      if (f.name == name) return f;
    }
    throw std::invalid_argument("OutputFile " + path + ": no field " + name +
                                " (create_field first)");
  }

  // Removes an existing link so that a dataset can be written again.
  void unlink_if_present(const std::string& object) {
    if (exists(file.get(), object, what(object))) {
      check(H5Ldelete(file.get(), object.c_str(), H5P_DEFAULT), "H5Ldelete", what(object));
    }
  }

  std::string xdmf_text() const;

  // Runs one collective write; a failure on any rank is thrown on every rank (a collective
  // write can fail on its aggregator only, and the others must not wait in the next call),
  // with what the file system says about it (MPI-IO drivers report only "file write failed").
  template <class Write>
  void guarded(Write&& write) const {
    std::string error;
    try {
      write();
    } catch (const std::runtime_error& e) {
      const std::string why = storage_problem(tmp_path);
      error = why.empty() ? std::string(e.what()) : std::string(e.what()) + " (" + why + ")";
    }
    int failed = error.empty() ? 0 : 1, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, comm);
    if (!any) return;
    write_failed = true;
    int first = failed ? rank : std::numeric_limits<int>::max();
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
    throw std::runtime_error(failed ? error
                                    : fmt::format("writing {}: rank {} failed", tmp_path, first));
  }
};

std::string OutputFile::Impl::xdmf_text() const {
  // One temporal collection per (G, times): the fields that share a grid and output times.
  std::vector<std::vector<const Field*>> groups;
  for (const auto& f : fields) {
    if (!f.xdmf) continue;
    bool placed = false;
    for (auto& g : groups) {
      if (g.front()->G == f.G && g.front()->times == f.times) {
        g.push_back(&f);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({&f});
  }
  const std::string h5name = xml_escape(fs::path(path).filename().string());
  std::ostringstream x;
  x << std::setprecision(17);
  x << "<?xml version=\"1.0\" ?>\n"
    << "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
    << "<!-- Written by dislo. Arrays are x-major (array[i, j] is x = i/G, y = j/G), so\n"
    << "     ParaView's first axis is y of dislo: the view is the transpose. -->\n"
    << "<Xdmf Version=\"3.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n"
    << "  <Domain>\n";
  for (const auto& g : groups) {
    const int G = g.front()->G;
    const auto& times = g.front()->times;
    const std::size_t nt = times.size();
    x << "    <Grid Name=\"grid_" << G << "x" << G
      << "\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
    for (std::size_t t = 0; t < nt; ++t) {
      x << "      <Grid Name=\"grid_" << G << "x" << G << "_t" << t << "\" GridType=\"Uniform\">\n"
        << "        <Time Value=\"" << times[t] << "\" />\n"
        << "        <Topology TopologyType=\"2DCoRectMesh\" Dimensions=\"" << G << " " << G
        << "\" />\n"
        << "        <Geometry GeometryType=\"ORIGIN_DXDY\">\n"
        << "          <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" "
           "Dimensions=\"2\">0 0</DataItem>\n"
        << "          <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" "
           "Dimensions=\"2\">"
        << 1.0 / G << " " << 1.0 / G << "</DataItem>\n"
        << "        </Geometry>\n";
      for (const Field* f : g) {
        const std::string name = xml_escape(f->name.substr(1));
        x << "        <Attribute Name=\"" << name
          << "\" AttributeType=\"Scalar\" Center=\"Node\">\n"
          << "          <DataItem ItemType=\"HyperSlab\" Dimensions=\"" << G << " " << G
          << "\" Type=\"HyperSlab\">\n"
          << "            <DataItem Dimensions=\"3 3\" Format=\"XML\">" << t << " 0 0 1 1 1 1 " << G
          << " " << G << "</DataItem>\n"
          << "            <DataItem Dimensions=\"" << nt << " " << G << " " << G
          << "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">" << h5name << ":"
          << xml_escape(f->name) << "</DataItem>\n"
          << "          </DataItem>\n"
          << "        </Attribute>\n";
      }
      x << "      </Grid>\n";
    }
    x << "    </Grid>\n";
  }
  x << "  </Domain>\n"
    << "</Xdmf>\n";
  return x.str();
}

namespace {

// Why `path` cannot be the output, or "" when it can.
std::string output_path_problem(const std::string& path, bool overwrite,
                                std::uint64_t bytes_needed) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) return "is a directory";
  if (fs::exists(p, ec) && !overwrite)
    return "exists; pass --overwrite (or set run.overwrite = true) to replace it";
  // The nearest existing ancestor must be a writable directory (the rest is created).
  const fs::path dir = existing_directory(p);
  if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a directory", dir.string());
  // Permissions are not enough (root, read-only mounts, /proc): create a probe file.
  const fs::path probe = dir / fmt::format(".dislo-probe-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fmt::format("cannot write in {}: {}", dir.string(), std::strerror(errno));
  ::close(fd);
  fs::remove(probe, ec);
  if (const auto [room, bound] = room_in(dir); bytes_needed > room)
    return fmt::format(
        "the output needs about {:.3g} MB, but only {:.3g} MB can be written in {} "
        "({})",
        double(bytes_needed) / 1e6, double(room) / 1e6, dir.string(), bound);
  return {};
}

}  // namespace

namespace {
std::string this_host() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  std::string host(name);
  std::replace(host.begin(), host.end(), '/', '_');
  return host;
}

// Whether the temporary suffix HOST-PID-TIME names a writer on this host that is gone.
bool writer_gone(const std::string& suffix) {
  const auto time_dash = suffix.rfind('-');
  if (time_dash == std::string::npos || time_dash == 0) return false;
  const auto pid_dash = suffix.rfind('-', time_dash - 1);
  if (pid_dash == std::string::npos) return false;  // the older HEXPID-TIME form: unknown host
  if (suffix.substr(0, pid_dash) != this_host()) return false;
  const std::string pid_text = suffix.substr(pid_dash + 1, time_dash - pid_dash - 1);
  char* end = nullptr;
  const long pid = std::strtol(pid_text.c_str(), &end, 16);
  if (pid_text.empty() || *end != '\0' || pid <= 0) return false;
  if (::kill(pid_t(pid), 0) != 0) return errno == ESRCH;
  // A killed process that nobody reaped yet (a zombie) is gone too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}
}  // namespace

std::string temporary_suffix() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  std::ostringstream s;
  s << this_host() << "-" << std::hex << static_cast<unsigned long>(getpid()) << "-"
    << std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  return s.str();
}

std::vector<std::string> clear_stale_temporaries(const std::string& path) {
  std::vector<std::string> notes;
  const fs::path dir =
      fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return notes;
  for (const std::string& target : {path, xdmf_path_of(path)}) {
    const std::string prefix = fs::path(target).filename().string() + ".tmp-";
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      if (writer_gone(name.substr(prefix.size()))) {
        fs::remove(entry.path(), ec);
        notes.push_back(
            fmt::format("removed {}, the temporary output of a run that was killed "
                        "before it finished (its process on this host is gone)",
                        entry.path().string()));
      } else {
        notes.push_back(
            fmt::format("{} is the temporary output of another run (still running, "
                        "on another host, or killed there); it is not a result and "
                        "was left alone",
                        entry.path().string()));
      }
    }
  }
  return notes;
}

void check_output_path(MPI_Comm comm, const std::string& path, bool overwrite,
                       const std::string& key, std::uint64_t bytes_needed) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0)
    for (const auto& note : clear_stale_temporaries(path))
      fmt::print(stderr, "warning: {}\n", note);
  std::string problem =
      rank == 0 ? output_path_problem(path, overwrite, bytes_needed) : std::string();
  problem = broadcast(comm, problem);
  if (!problem.empty()) throw InputError(fmt::format("{} = {}: {}", key, path, problem));
}

OutputFile::OutputFile(MPI_Comm comm, const std::string& path) : path_(path) {
  quiet_hdf5();
  auto impl = std::make_unique<Impl>();
  impl->comm = comm;
  impl->path = path;
  MPI_Comm_rank(comm, &impl->rank);

  // Rank 0 creates the parent directory and picks the suffix; everybody learns both.
  std::string error;
  std::string suffix;
  if (impl->rank == 0) {
    suffix = temporary_suffix();
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      fs::create_directories(parent, ec);
      if (ec) {
        error = "cannot create the directory " + parent.string() + " for output " + path + ": " +
                ec.message();
      } else if (!fs::is_directory(parent, ec)) {
        error = "cannot create the directory " + parent.string() + " for output " + path +
                ": not a directory";
      }
    }
  }
  error = broadcast(comm, error);
  if (!error.empty()) throw std::runtime_error(error);
  impl->suffix = broadcast(comm, suffix);
  impl->tmp_path = path + ".tmp-" + impl->suffix;

  const std::string& what = impl->tmp_path;
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(file access)", what);
  check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio", what);
  const hid_t file = H5Fcreate(impl->tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  int ok = file >= 0 ? 1 : 0;
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
  if (!all_ok) {
    if (file >= 0) H5Fclose(file);
    if (impl->rank == 0) {
      std::error_code ec;
      fs::remove(impl->tmp_path, ec);
    }
    hdf5_fail("H5Fcreate", what);
  }
  impl->file = Handle(file, H5Fclose, "H5Fcreate", what);
  impl_ = std::move(impl);
}

OutputFile::~OutputFile() {
  if (!impl_ || impl_->finalised) return;
  try {
    if (impl_->write_failed) {
      // HDF5 1.10 cannot close a file after a failed write (the close fails, and its
      // clean-up at MPI_Finalize then crashes): the file is left to that clean-up.
      for (auto& f : impl_->fields) f.dataset.release();
      impl_->file.release();
    }
    for (auto& f : impl_->fields) f.dataset.reset();
    impl_->file.reset();
    if (impl_->rank == 0) {
      std::error_code ec;
      fs::remove(impl_->tmp_path, ec);
    }
  } catch (...) {
    // A destructor runs while an exception unwinds: never throw from here.
  }
}

void OutputFile::set_attribute(const std::string& object, const std::string& name,
                               const AttributeValue& value) {
  impl_->require_open();
  impl_->guarded([&] {
    const std::string obj = normalise(object);
    const std::string what = impl_->what(obj) + " attribute " + name;
    const hid_t file = impl_->file.get();
    if (!exists(file, obj, what)) {
      Handle lcpl = intermediate_lcpl(what);
      Handle group(H5Gcreate2(file, obj.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "H5Gcreate2", what);
    }
    Handle o(H5Oopen(file, obj.c_str(), H5P_DEFAULT), H5Oclose, "H5Oopen", what);
    if (check(H5Aexists(o.get(), name.c_str()), "H5Aexists", what) > 0) {
      check(H5Adelete(o.get(), name.c_str()), "H5Adelete", what);
    }
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", what);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            // Variable-length UTF-8: h5py reads it as str, and long texts (the study) fit.
            Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy", what);
            check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", what);
            check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", what);
            Handle attr(H5Acreate2(o.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT),
                        H5Aclose, "H5Acreate2", what);
            const char* p = v.c_str();
            check(H5Awrite(attr.get(), type.get(), &p), "H5Awrite", what);
          } else {
            const hid_t file_type = std::is_same_v<T, double> ? H5T_IEEE_F64LE : H5T_STD_I64LE;
            const hid_t mem_type = std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
            Handle attr(
                H5Acreate2(o.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, "H5Acreate2", what);
            check(H5Awrite(attr.get(), mem_type, &v), "H5Awrite", what);
          }
        },
        value);
  });
}

void OutputFile::write_vector(const std::string& dataset, const std::vector<double>& data) {
  impl_->require_open();
  impl_->guarded([&] {
    const std::string name = normalise(dataset);
    const std::string what = impl_->what(name);
    impl_->unlink_if_present(name);
    const hsize_t n = data.size();
    Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple", what);
    Handle lcpl = intermediate_lcpl(what);
    Handle dset(H5Dcreate2(impl_->file.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(),
                           H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose, "H5Dcreate2", what);
    if (n == 0) return;
    // Every rank holds the same data: rank 0 writes it, the others take part selecting none.
    Handle mem(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple", what);
    if (impl_->rank != 0) {
      check(H5Sselect_none(mem.get()), "H5Sselect_none", what);
      check(H5Sselect_none(space.get()), "H5Sselect_none", what);
    }
    Handle dxpl = collective_dxpl(what);
    check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), dxpl.get(), data.data()),
          "H5Dwrite", what);
    dset.close("H5Dclose", what);
  });
}

void OutputFile::write_matrix(const std::string& dataset, std::size_t rows, std::size_t cols,
                              const std::vector<double>& data) {
  impl_->require_open();
  impl_->guarded([&] {
    const std::string name = normalise(dataset);
    const std::string what = impl_->what(name);
    impl_->unlink_if_present(name);
    const hsize_t dims[2] = {rows, cols};
    Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "H5Screate_simple", what);
    Handle lcpl = intermediate_lcpl(what);
    Handle dset(H5Dcreate2(impl_->file.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(),
                           H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose, "H5Dcreate2", what);
    if (rows * cols == 0) return;
    if (impl_->rank == 0 && data.size() != rows * cols)
      throw std::invalid_argument("OutputFile::write_matrix: " + what + ": data size");
    Handle mem(H5Screate_simple(2, dims, nullptr), H5Sclose, "H5Screate_simple", what);
    if (impl_->rank != 0) {
      check(H5Sselect_none(mem.get()), "H5Sselect_none", what);
      check(H5Sselect_none(space.get()), "H5Sselect_none", what);
    }
    Handle dxpl = collective_dxpl(what);
    static const double unused = 0;  // a non-null buffer for ranks that select nothing
    check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), dxpl.get(),
                   impl_->rank == 0 ? data.data() : &unused),
          "H5Dwrite", what);
    dset.close("H5Dclose", what);
  });
}

void OutputFile::create_field(const std::string& dataset, const std::vector<double>& times, int G,
                              bool xdmf) {
  impl_->require_open();
  impl_->guarded([&] {
    const std::string name = normalise(dataset);
    const std::string what = impl_->what(name);
    if (G <= 0) throw std::invalid_argument("OutputFile: field " + what + " needs G > 0");
    for (const auto& f : impl_->fields) {
      if (f.name == name) throw std::invalid_argument("OutputFile: field " + what + " exists");
    }
    impl_->unlink_if_present(name);
    const hsize_t g = static_cast<hsize_t>(G);
    const hsize_t dims[3] = {times.size(), g, g};
    Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose, "H5Screate_simple", what);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate(dataset create)", what);
    if (!times.empty()) {
      // One time slice per chunk, or a band of rows of it when a slice exceeds 4 MiB.
      const hsize_t row_bytes = g * sizeof(double);
      const hsize_t rows = std::max<hsize_t>(1, std::min<hsize_t>(g, kMaxChunkBytes / row_bytes));
      const hsize_t chunk[3] = {1, rows, g};
      check(H5Pset_chunk(dcpl.get(), 3, chunk), "H5Pset_chunk", what);
    }
    Handle lcpl = intermediate_lcpl(what);
    Impl::Field f;
    f.name = name;
    f.times = times;
    f.G = G;
    f.xdmf = xdmf;
    f.dataset = Handle(H5Dcreate2(impl_->file.get(), name.c_str(), H5T_IEEE_F64LE, space.get(),
                                  lcpl.get(), dcpl.get(), H5P_DEFAULT),
                       H5Dclose, "H5Dcreate2", what);
    impl_->fields.push_back(std::move(f));
  });
}

void OutputFile::write_field_rows(const std::string& dataset, int t, int row0, int nrows,
                                  const double* data) {
  impl_->require_open();
  impl_->guarded([&] {
    const std::string name = normalise(dataset);
    const std::string what = impl_->what(name);
    Impl::Field& f = impl_->field(name);
    const int nt = static_cast<int>(f.times.size());
    if (t < 0 || t >= nt || nrows < 0 || row0 < 0 || row0 + nrows > f.G) {
      throw std::out_of_range("OutputFile: write_field_rows(" + what +
                              ", t = " + std::to_string(t) + ", rows " + std::to_string(row0) +
                              " + " + std::to_string(nrows) + ") outside [" + std::to_string(nt) +
                              ", " + std::to_string(f.G) + ", " + std::to_string(f.G) + "]");
    }
    const hsize_t g = static_cast<hsize_t>(f.G);
    Handle file_space(H5Dget_space(f.dataset.get()), H5Sclose, "H5Dget_space", what);
    const hsize_t count[3] = {1, static_cast<hsize_t>(std::max(nrows, 1)), g};
    Handle mem(H5Screate_simple(3, count, nullptr), H5Sclose, "H5Screate_simple", what);
    static const double dummy = 0.0;
    if (nrows > 0) {
      const hsize_t start[3] = {static_cast<hsize_t>(t), static_cast<hsize_t>(row0), 0};
      check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
            "H5Sselect_hyperslab", what);
    } else {
      check(H5Sselect_none(file_space.get()), "H5Sselect_none", what);
      check(H5Sselect_none(mem.get()), "H5Sselect_none", what);
      data = &dummy;
    }
    Handle dxpl = collective_dxpl(what);
    check(
        H5Dwrite(f.dataset.get(), H5T_NATIVE_DOUBLE, mem.get(), file_space.get(), dxpl.get(), data),
        "H5Dwrite", what);
  });
}

void OutputFile::finalise() {
  if (!impl_ || impl_->finalised) return;
  impl_->require_open();
  impl_->guarded([&] {
    for (auto& f : impl_->fields) f.dataset.close("H5Dclose", impl_->what(f.name));
    impl_->file.close("H5Fclose", impl_->tmp_path);
  });

  std::string error;
  if (impl_->rank == 0) {
    try {
      fs::rename(impl_->tmp_path, path_);
      const std::string xmf = xdmf_path_of(path_);
      const std::string xmf_tmp = xmf + ".tmp-" + impl_->suffix;
      {
        std::ofstream out(xmf_tmp, std::ios::trunc);
        out << impl_->xdmf_text();
        out.close();
        if (!out) throw std::runtime_error("cannot write the XDMF sidecar " + xmf_tmp);
      }
      fs::rename(xmf_tmp, xmf);
    } catch (const std::exception& e) {
      error = std::string("OutputFile: finalising ") + path_ + ": " + e.what();
      // Scratch purges and other jobs' clean-ups remove directories under running jobs.
      std::error_code ec;
      const fs::path dir =
          fs::path(path_).parent_path().empty() ? fs::path(".") : fs::path(path_).parent_path();
      if (!fs::is_directory(dir, ec))
        error = fmt::format(
            "OutputFile: finalising {}: the output directory {} vanished during the run "
            "(removed by another process?); the result could not be written",
            path_, dir.string());
    }
  }
  // The broadcast doubles as the barrier after which every rank sees PATH.
  error = broadcast(impl_->comm, error);
  if (!error.empty()) throw std::runtime_error(error);
  impl_->finalised = true;
  MPI_Barrier(impl_->comm);
}

}  // namespace dislo
