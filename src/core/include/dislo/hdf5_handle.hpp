#pragma once
// Owning HDF5 identifiers and checked calls.
#include <hdf5.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dislo/study.hpp"  // InputError
#include "dislo/system_memory.hpp"

namespace dislo::h5 {

inline void quiet_hdf5() {
  // HDF5 prints its error stack to stderr by default; dislo reports errors by exceptions.
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// The system's reason for the latest HDF5 failure, from its error stack: the quoted
// "error message" (POSIX drivers) or "MPI error string" (MPI-IO) of the innermost entry
// that has one ("No space left on device"), else the innermost description. (errno is
// no help: MPI-IO's error paths overwrite it.) Clears the stack.
inline std::string hdf5_error_reason() {
  struct Found {
    std::string quoted, innermost;
  } found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto& f = *static_cast<Found*>(data);
        const std::string desc = e->desc ? e->desc : "";
        if (n == 0) f.innermost = desc;
        for (const char* key : {"error message = '", "MPI error string is '"}) {
          const auto at = desc.find(key);
          if (!f.quoted.empty() || at == std::string::npos) continue;
          const auto from = at + std::char_traits<char>::length(key);
          f.quoted = desc.substr(from, desc.find('\'', from) - from);
        }
        return 0;
      },
      &found);
  H5Eclear2(H5E_DEFAULT);
  return found.quoted.empty() ? found.innermost : found.quoted;
}

[[noreturn]] inline void hdf5_fail(const char* call, const std::string& what) {
  const std::string reason = hdf5_error_reason();
  throw std::runtime_error(std::string("HDF5: ") + call + " failed for " + what +
                           (reason.empty() ? "" : ": " + reason));
}

template <class T>
T check(T result, const char* call, const std::string& what) {
  if (result < 0) hdf5_fail(call, what);
  return result;
}

// Owns one HDF5 identifier; closes it when destroyed (errors ignored there).
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer, const char* call, const std::string& what)
      : id_(check(id, call, what)), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() noexcept {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  // Gives the identifier up without closing it.
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  // Closes now and reports failure (used where a failed close loses data).
  void close(const char* call, const std::string& what) {
    if (id_ < 0) return;
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    check(closer_(id), call, what);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// "/a/b", "a/b/" -> "/a/b"; "" and "/" -> "/".
inline std::string normalise(const std::string& object) {
  std::string p = object;
  if (p.empty() || p.front() != '/') p.insert(p.begin(), '/');
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Whether every component of the absolute path exists in the file.
inline bool exists(hid_t file, const std::string& path, const std::string& what) {
  if (path == "/") return true;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (check(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), "H5Lexists", what) <= 0) {
      return false;
    }
    if (check(H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT), "H5Oexists_by_name", what) <=
        0) {
      return false;
    }
  }
  return true;
}

// Reading a file that a user or another program wrote: any failure there is the input's,
// so it becomes an InputError (exit 2, one line) naming the file; InputErrors pass.
template <class Read>
auto read_user_file(const std::string& file, Read&& read) {
  try {
    return read();
  } catch (const InputError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw InputError(file + ": cannot be read: " + e.what());
  }
}

// How many values of `dataset` (its dataspace `space`) to read as doubles. Refused before
// anything is allocated: a declared size whose doubles exceed the memory available, and
// values that the file does not store (a declared size never written).
inline std::size_t values_to_read(hid_t dataset, hid_t space, const std::string& where) {
  const int rank = check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", where);
  std::vector<hsize_t> dims(std::size_t(rank), 0);
  if (rank > 0)
    check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), "H5Sget_simple_extent_dims",
          where);
  const std::uint64_t available = mem_available();
  const double memory = available > 0 ? double(available) : 1e18;
  double values = 1;
  for (hsize_t d : dims) values *= double(d);
  if (8 * values > memory)
    throw InputError(where + "declares " + std::to_string(values) +
                     " values, more than the memory available holds");
  if (values > 0 && H5Dget_storage_size(dataset) == 0)
    throw InputError(where + "declares values but stores none (never written)");
  return std::size_t(values);
}

}  // namespace dislo::h5
