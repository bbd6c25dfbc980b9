#include "dislo/checkpoint.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "dislo/io.hpp"
#include "dislo/version.hpp"

namespace dislo {

namespace {
constexpr char kMagic[8] = {'D', 'I', 'S', 'L', 'O', 'C', 'K', 'P'};
constexpr std::uint32_t kFormat = 1;

// FNV-1a, 64 bit: detects truncation and corruption (not tampering).
std::uint64_t fnv1a(const char* data, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

class Writer {
 public:
  template <class T>
  void pod(const T& v) {
    const char* p = reinterpret_cast<const char*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  void text(const std::string& s) {
    pod(std::uint64_t(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    pod(std::uint64_t(v.size()));
    const char* p = reinterpret_cast<const char*>(v.data());
    buf_.insert(buf_.end(), p, p + sizeof(T) * v.size());
  }
  std::vector<char>& bytes() { return buf_; }

 private:
  std::vector<char> buf_;
};

class Reader {
 public:
  Reader(const std::vector<char>& buf, std::size_t end, const std::string& path)
      : buf_(buf), end_(end), path_(path) {}
  template <class T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, buf_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string text() {
    const auto n = pod<std::uint64_t>();
    need(n);
    std::string s(buf_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  template <class T>
  std::vector<T> vec() {
    const auto n = pod<std::uint64_t>();
    if (n > (end_ - pos_) / sizeof(T)) corrupt();
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), buf_.data() + pos_, sizeof(T) * n);  // data() may be null
    pos_ += sizeof(T) * n;
    return v;
  }
  bool at_end() const { return pos_ == end_; }
  [[noreturn]] void corrupt() const {
    throw InputError(
        fmt::format("checkpoint {}: corrupt or truncated (refused; remove it to "
                    "start the run afresh)",
                    path_));
  }

 private:
  void need(std::size_t n) const {
    if (n > end_ - pos_) corrupt();
  }
  const std::vector<char>& buf_;
  std::size_t end_, pos_ = 0;
  const std::string& path_;
};

// "section.key" -> value line of a resolved study's TOML text (to_toml: one key per line).
std::map<std::string, std::string> key_values(const std::string& toml) {
  std::map<std::string, std::string> out;
  std::istringstream in(toml);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.size() > 2 && line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq != std::string::npos && line.front() != '#')
      out[section + "." + line.substr(0, eq)] += line.substr(eq + 3);
  }
  return out;
}

// The keys whose values differ, as "model.n (100 in the checkpoint, 200 now)".
std::string differing_keys(const std::string& theirs, const std::string& ours) {
  const auto a = key_values(theirs), b = key_values(ours);
  std::vector<std::string> keys;
  for (const auto& [key, value] : b) {
    const auto it = a.find(key);
    if (it == a.end())
      keys.push_back(fmt::format("{} (absent in the checkpoint, {} now)", key, value));
    else if (it->second != value)
      keys.push_back(fmt::format("{} ({} in the checkpoint, {} now)", key, it->second, value));
  }
  for (const auto& [key, value] : a)
    if (!b.count(key))
      keys.push_back(fmt::format("{} ({} in the checkpoint, absent now)", key, value));
  if (keys.empty()) return "layout only";
  return fmt::format("{}", fmt::join(keys, ", "));
}

bool write_all(int fd, const std::vector<char>& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += std::size_t(n);
  }
  return true;
}

// Best effort: some file systems refuse fsync on a directory, and the rename is atomic
// whether or not it reached the disk yet.
void sync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string version_line() { return fmt::format("dislo {} ({})", version(), git_revision()); }
}  // namespace

std::string checkpoint_identity(const Study& study) {
  Study s = study;
  s.run.walltime = 0;
  s.run.stop_after = 0;
  s.run.checkpoint_every = RunParams{}.checkpoint_every;
  s.run.strict = false;
  s.run.overwrite = false;
  s.run.ranks_per_replica = 1;
  return version_line() + "\n" + to_toml(s);
}

std::string checkpoint_path(const Study& study) { return study.run.output + ".checkpoint"; }

std::uint64_t checkpoint_checksum(const char* data, std::size_t n) { return fnv1a(data, n); }

std::vector<char> checkpoint_bytes(const std::string& identity, const Checkpoint& checkpoint) {
  Writer w;
  for (char c : kMagic) w.pod(c);
  w.pod(kFormat);
  w.text(identity);
  w.pod(std::uint32_t(checkpoint.size()));
  for (const auto& [name, st] : checkpoint) {
    w.text(name);
    w.pod(std::uint8_t(st.complete ? 1 : 0));
    w.pod(std::int64_t(st.done));
    w.vec(st.partial);
    w.vec(st.rows);
    for (int s = 0; s < 2; ++s) {
      w.vec(st.law[s]);
      w.vec(st.law_sq[s]);
      w.vec(st.pairs[s]);
    }
    w.pod(std::uint64_t(st.work));
    w.pod(st.seconds_simulate);
    w.pod(st.seconds_metrics);
  }
  w.pod(fnv1a(w.bytes().data(), w.bytes().size()));
  return std::move(w.bytes());
}

void write_checkpoint(const std::string& path, const std::string& identity,
                      const Checkpoint& checkpoint) {
  const std::vector<char> bytes = checkpoint_bytes(identity, checkpoint);
  // A unique temporary (a later run removes it once this process is gone), its bytes on
  // disk before the rename, and the rename on disk: a node failure at any moment leaves
  // the previous checkpoint or this one, whole.
  const std::string tmp = path + ".tmp-" + temporary_suffix();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw std::runtime_error(
        fmt::format("cannot write checkpoint {}: {}", tmp, std::strerror(errno)));
  const bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) {
    std::remove(tmp.c_str());
    throw std::runtime_error(
        fmt::format("cannot write checkpoint {}: {}", tmp, std::strerror(error)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
  }
  sync_directory_of(path);
}

Checkpoint read_checkpoint(const std::string& path, const std::string& identity) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("checkpoint {}: cannot be read", path));
  const std::vector<char> buf((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  return parse_checkpoint(buf, path, identity);
}

Checkpoint parse_checkpoint(const std::vector<char>& buf, const std::string& path,
                            const std::string& identity) {
  if (buf.size() < sizeof kMagic + sizeof(std::uint32_t) + sizeof(std::uint64_t) ||
      std::memcmp(buf.data(), kMagic, sizeof kMagic) != 0)
    throw InputError(fmt::format("checkpoint {}: not a dislo checkpoint (refused)", path));
  const std::size_t body = buf.size() - sizeof(std::uint64_t);
  std::uint64_t stored = 0;
  std::memcpy(&stored, buf.data() + body, sizeof stored);
  Reader r(buf, body, path);
  if (stored != fnv1a(buf.data(), body)) r.corrupt();
  for (std::size_t i = 0; i < sizeof kMagic; ++i) r.pod<char>();
  if (const auto format = r.pod<std::uint32_t>(); format != kFormat)
    throw InputError(fmt::format(
        "checkpoint {}: format {}, {} than this dislo reads ({}): resume it with the dislo "
        "that wrote it (refused; nothing was overwritten)",
        path, format, format > kFormat ? "newer" : "older", kFormat));
  const std::string theirs = r.text();
  if (theirs != identity) {
    const std::string their_version = theirs.substr(0, theirs.find('\n'));
    const std::string our_version = identity.substr(0, identity.find('\n'));
    if (their_version != our_version)
      throw InputError(
          fmt::format("checkpoint {}: written by {}, this is {} (refused; nothing "
                      "was overwritten)",
                      path, their_version, our_version));
    throw InputError(
        fmt::format("checkpoint {}: written for another study (the resolved studies differ "
                    "in {}; refused, nothing was overwritten)",
                    path, differing_keys(theirs, identity)));
  }
  Checkpoint cp;
  const auto models = r.pod<std::uint32_t>();
  for (std::uint32_t m = 0; m < models; ++m) {
    const std::string name = r.text();
    EnsembleState st;
    st.complete = r.pod<std::uint8_t>() != 0;
    st.done = static_cast<long>(r.pod<std::int64_t>());
    st.partial = r.vec<std::int64_t>();
    st.rows = r.vec<double>();
    for (int s = 0; s < 2; ++s) {
      st.law[s] = r.vec<std::int64_t>();
      st.law_sq[s] = r.vec<std::int64_t>();
      st.pairs[s] = r.vec<std::int64_t>();
    }
    st.work = r.pod<std::uint64_t>();
    st.seconds_simulate = r.pod<double>();
    st.seconds_metrics = r.pod<double>();
    cp[name] = std::move(st);
  }
  if (!r.at_end()) r.corrupt();
  return cp;
}

}  // namespace dislo
