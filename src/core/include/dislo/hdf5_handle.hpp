#pragma once
// Owning HDF5 identifiers and checked calls.
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <utility>

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

}  // namespace dislo::h5
