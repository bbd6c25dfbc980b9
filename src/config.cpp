// The study file: TOML parsing (toml++), overrides, validation, resolution, and the
// resolved study written back as TOML. Every user error is an InputError with one line:
// "SOURCE: section.key = VALUE: what is allowed".
#include "dislo/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

namespace dislo {

const char* to_string(KernelKind k) {
  switch (k) {
    case KernelKind::gaussian:
      return "gaussian";
    case KernelKind::cai:
      return "cai";
    case KernelKind::bump:
      return "bump";
  }
  return "?";
}

const char* to_string(InitialKind k) {
  switch (k) {
    case InitialKind::uniform:
      return "uniform";
    case InitialKind::cosine:
      return "cosine";
    case InitialKind::blobs:
      return "blobs";
    case InitialKind::file:
      return "file";
  }
  return "?";
}

bool RunParams::has_model(const std::string& m) const {
  return std::find(models.begin(), models.end(), m) != models.end();
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Relative tolerance when deciding whether T is a multiple of dt_out.
constexpr double kTimesRelTol = 1e-12;
// Guard against a dt_out so small that the list of output times would exhaust memory.
constexpr double kMaxOutputTimes = 1e6;

// ---------------------------------------------------------------- the schema

struct SectionSchema {
  const char* name;
  std::vector<const char*> keys;
};

const std::vector<SectionSchema>& schema() {
  static const std::vector<SectionSchema> s{
      {"model", {"n", "n_plus", "lattice", "delta", "beta", "T"}},
      {"potential", {"kind"}},
      {"initial",
       {"kind", "mass_plus", "amplitude", "amplitude_minus", "k", "phase", "phase_minus",
        "blobs_plus", "blobs_minus", "file"}},
      {"run",
       {"models", "replicas", "seed", "times", "dt_out", "output", "target_stderr", "max_replicas",
        "walltime", "batch", "ranks_per_replica"}},
      {"metrics",
       {"kinds", "grid", "stencil", "hs_order", "hs_modes", "law_bins", "pair_bins",
        "rw_against_mf"}},
      {"mf", {"M", "rtol", "atol", "ts_type", "hyperviscosity"}},
      {"mfeps", {"rtol", "atol", "ts_type"}},
      {"sde", {"dt", "force", "pm_tolerance", "noise_refinement", "ode_rtol", "ode_atol"}},
      {"rw", {"algorithm"}},
      {"chaos", {"coupling", "frames", "time_change_max_n"}},
      {"sweep", {"n", "lattice", "delta", "beta", "T", "kernel", "seed", "mode"}},
  };
  return s;
}

// The keys a [sweep] may vary, in sweep order (the last varies fastest), and where each
// lands in the study.
struct SweepKey {
  const char* name;
  const char* section;
  const char* key;
};
constexpr std::array<SweepKey, 7> kSweepKeys{{{"n", "model", "n"},
                                              {"lattice", "model", "lattice"},
                                              {"delta", "model", "delta"},
                                              {"beta", "model", "beta"},
                                              {"T", "model", "T"},
                                              {"kernel", "potential", "kind"},
                                              {"seed", "run", "seed"}}};
// RW couplings: warn above this many pair updates per replica (minutes at ~1e8 per second).
constexpr double kCouplingWarnUpdates = 1e10;
// More points than this is a typo, not a study.
constexpr long kMaxSweepPoints = 1000000;

const SectionSchema* find_section(std::string_view name) {
  for (const auto& s : schema())
    if (name == s.name) return &s;
  return nullptr;
}

bool section_has_key(const SectionSchema& s, std::string_view key) {
  return std::any_of(s.keys.begin(), s.keys.end(), [&](const char* k) { return key == k; });
}

std::string join(const std::vector<const char*>& items) {
  std::string out;
  for (const char* i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

std::string section_names() {
  std::vector<const char*> names;
  for (const auto& s : schema()) names.push_back(s.name);
  return join(names);
}

// ---------------------------------------------------------------- rendering values

// Shortest text that reads back as the same double; always recognisable as a TOML float.
std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// A number in a message (computed, not user input): no forced ".0".
std::string num(double x) { return fmt::format("{}", x); }

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
          out += c;
    }
  }
  out += '"';
  return out;
}

// A user's value as TOML-like text, on one line.
std::string render(const toml::node& node) {
  if (auto* v = node.as_integer()) return fmt::format("{}", v->get());
  if (auto* v = node.as_floating_point()) return format_double(v->get());
  if (auto* v = node.as_string()) return quote(v->get());
  if (auto* v = node.as_boolean()) return v->get() ? "true" : "false";
  if (auto* a = node.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ", ";
      out += render(*a->get(i));
    }
    return out + "]";
  }
  if (auto* t = node.as_table()) {
    std::string out = "{";
    bool first = true;
    for (auto&& [k, v] : *t) {
      out += first ? " " : ", ";
      first = false;
      out += std::string(k.str()) + " = " + render(v);
    }
    return out + (first ? "}" : " }");
  }
  std::ostringstream os;  // dates and times
  node.visit([&](auto&& n) { os << n; });
  return os.str();
}

// ---------------------------------------------------------------- the reader

class Reader {
 public:
  // labels: how a key is named in messages when its value did not come from the file's
  // own section ("model.n" -> "--set model.n" or "sweep.n[2]").
  Reader(std::string source, const toml::table& root, std::map<std::string, std::string> labels)
      : source_(std::move(source)), root_(root), labels_(std::move(labels)) {}

  const std::string& source() const { return source_; }

  [[noreturn]] void fail(std::string_view section, std::string_view key, const toml::node* value,
                         std::string_view what) const {
    std::string loc = fmt::format("{}.{}", section, key);
    if (auto it = labels_.find(loc); it != labels_.end()) loc = it->second;
    if (value) throw InputError(fmt::format("{}: {} = {}: {}", source_, loc, render(*value), what));
    throw InputError(fmt::format("{}: {}: {}", source_, loc, what));
  }

  // A key whose value is a default (not in the file): the value is shown as "V (default)".
  [[noreturn]] void fail_default(std::string_view section, std::string_view key, double value,
                                 std::string_view what) const {
    throw InputError(fmt::format("{}: {}.{} = {} (default): {}", source_, section, key,
                                 format_double(value), what));
  }

  // Unknown sections and keys, and sections that are not tables.
  void check_structure() const {
    for (auto&& [name, node] : root_) {
      const auto* s = find_section(name.str());
      if (!s) {
        throw InputError(fmt::format("{}: [{}]: unknown section (allowed: {})", source_, name.str(),
                                     section_names()));
      }
      const auto* t = node.as_table();
      if (!t)
        throw InputError(fmt::format("{}: {} = {}: expected a table [{}]", source_, name.str(),
                                     render(node), name.str()));
      for (auto&& [key, value] : *t) {
        if (!section_has_key(*s, key.str()))
          fail(name.str(), key.str(), nullptr,
               fmt::format("unknown key (allowed: {})", join(s->keys)));
        (void)value;
      }
    }
  }

  const toml::node* get(std::string_view section, std::string_view key) const {
    const auto* t = root_.get_as<toml::table>(section);
    return t ? t->get(key) : nullptr;
  }
  bool has(std::string_view section, std::string_view key) const {
    return get(section, key) != nullptr;
  }

  std::optional<long long> integer(std::string_view section, std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    if (auto* v = n->as_integer()) return v->get();
    fail(section, key, n, "expected an integer");
  }

  // Integer or float, as a double.
  std::optional<double> number(std::string_view section, std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    if (auto d = as_number(*n)) return d;
    fail(section, key, n, "expected a number");
  }

  std::optional<std::string> string(std::string_view section, std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    if (auto* v = n->as_string()) return v->get();
    fail(section, key, n, "expected a string");
  }

  std::optional<std::vector<std::string>> strings(std::string_view section,
                                                  std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    const auto* a = n->as_array();
    std::vector<std::string> out;
    if (a)
      for (auto&& e : *a) {
        auto* s = e.as_string();
        if (!s) {
          a = nullptr;
          break;
        }
        out.push_back(s->get());
      }
    if (!a) fail(section, key, n, "expected an array of strings");
    return out;
  }

  std::optional<std::vector<double>> numbers(std::string_view section, std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    const auto* a = n->as_array();
    std::vector<double> out;
    if (a)
      for (auto&& e : *a) {
        auto d = as_number(e);
        if (!d) {
          a = nullptr;
          break;
        }
        out.push_back(*d);
      }
    if (!a) fail(section, key, n, "expected an array of numbers");
    return out;
  }

  static std::optional<double> as_number(const toml::node& n) {
    if (auto* v = n.as_floating_point()) return v->get();
    if (auto* v = n.as_integer()) return static_cast<double>(v->get());
    return std::nullopt;
  }

 private:
  std::string source_;
  const toml::table& root_;
  std::map<std::string, std::string> labels_;
};

// Choice among names; the value must be a string.
template <class Enum, std::size_t N>
std::optional<Enum> choice(const Reader& r, std::string_view section, std::string_view key,
                           const std::array<Enum, N>& options) {
  auto s = r.string(section, key);
  if (!s) return std::nullopt;
  std::vector<const char*> names;
  for (Enum e : options) {
    if (*s == to_string(e)) return e;
    names.push_back(to_string(e));
  }
  r.fail(section, key, r.get(section, key), fmt::format("must be one of {}", join(names)));
}

void check_subset(const Reader& r, std::string_view section, std::string_view key,
                  const std::vector<std::string>& values, const std::vector<const char*>& allowed,
                  bool non_empty) {
  std::set<std::string> seen;
  bool ok = !(non_empty && values.empty());
  for (const auto& v : values) {
    bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
    if (!known || !seen.insert(v).second) ok = false;
  }
  if (!ok)
    r.fail(section, key, r.get(section, key),
           fmt::format("must be a {}subset of [{}] without repetition",
                       non_empty ? "non-empty " : "", join(allowed)));
}

// Slurm's time formats "[D-]HH:MM:SS" and "MM:SS" in seconds (> 0), or nothing.
std::optional<double> parse_walltime(const std::string& text) {
  long days = 0;
  std::string rest = text;
  if (const auto dash = rest.find('-'); dash != std::string::npos) {
    const std::string d = rest.substr(0, dash);
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    days = std::stol(d);
    rest = rest.substr(dash + 1);
  }
  std::vector<long> fields;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t colon = rest.find(':', pos);
    const std::string f = rest.substr(pos, colon == std::string::npos ? colon : colon - pos);
    if (f.empty() || f.size() > 6 || f.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    fields.push_back(std::stol(f));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  if (fields.size() < 2 || fields.size() > 3) return std::nullopt;
  if (fields.size() == 2) fields.insert(fields.begin(), 0);
  const double seconds = double(((days * 24 + fields[0]) * 60 + fields[1]) * 60 + fields[2]);
  if (!(seconds > 0)) return std::nullopt;
  return seconds;
}

double positive(const Reader& r, std::string_view section, std::string_view key, double dflt) {
  auto v = r.number(section, key);
  if (!v) return dflt;
  if (!(*v > 0 && std::isfinite(*v)))
    r.fail(section, key, r.get(section, key), "must be a finite number > 0");
  return *v;
}

double finite(const Reader& r, std::string_view section, std::string_view key, double dflt) {
  auto v = r.number(section, key);
  if (!v) return dflt;
  if (!std::isfinite(*v)) r.fail(section, key, r.get(section, key), "must be a finite number");
  return *v;
}

std::string nonempty_string(const Reader& r, std::string_view section, std::string_view key,
                            const std::string& dflt) {
  auto v = r.string(section, key);
  if (!v) return dflt;
  if (v->empty()) r.fail(section, key, r.get(section, key), "must be a non-empty string");
  return *v;
}

std::vector<Blob> read_blobs(const Reader& r, std::string_view key) {
  const toml::node* n = r.get("initial", key);
  if (!n) return {};
  const auto* a = n->as_array();
  const char* expected = "expected an array of tables {centre = [x, y], width = w, weight = c}";
  if (!a) r.fail("initial", key, n, expected);
  std::vector<Blob> blobs;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string item = fmt::format("{}[{}]", key, i);
    const toml::node& e = *a->get(i);
    const auto* t = e.as_table();
    if (!t) r.fail("initial", item, &e, expected);
    for (auto&& [k, v] : *t)
      if (k.str() != "centre" && k.str() != "width" && k.str() != "weight")
        r.fail("initial", fmt::format("{}.{}", item, k.str()), nullptr,
               "unknown key (allowed: centre, width, weight)");
    Blob b;
    const toml::node* c = t->get("centre");
    if (!c)
      r.fail("initial", item + ".centre", nullptr, "missing: each blob needs a centre [x, y]");
    const auto* ca = c->as_array();
    std::optional<double> x, y;
    if (ca && ca->size() == 2) {
      x = Reader::as_number(*ca->get(0));
      y = Reader::as_number(*ca->get(1));
    }
    if (!x || !y) r.fail("initial", item + ".centre", c, "expected two numbers [x, y]");
    if (!(*x >= 0 && *x < 1 && *y >= 0 && *y < 1))
      r.fail("initial", item + ".centre", c, "must lie in [0, 1)^2");
    b.centre = {*x, *y};
    if (const toml::node* w = t->get("width")) {
      auto d = Reader::as_number(*w);
      if (!d) r.fail("initial", item + ".width", w, "expected a number");
      if (!(*d > 0 && std::isfinite(*d)))
        r.fail("initial", item + ".width", w, "must be a finite number > 0");
      b.width = *d;
    }
    if (const toml::node* w = t->get("weight")) {
      auto d = Reader::as_number(*w);
      if (!d) r.fail("initial", item + ".weight", w, "expected a number");
      if (!(*d > 0 && std::isfinite(*d)))
        r.fail("initial", item + ".weight", w, "must be a finite number > 0");
      b.weight = *d;
    }
    blobs.push_back(b);
  }
  return blobs;
}

// ---------------------------------------------------------------- resolution

Study resolve(const Reader& r) {
  r.check_structure();
  Study s;
  s.source = r.source();
  const toml::node* node = nullptr;

  // [model]
  ModelParams& m = s.model;
  if (auto v = r.integer("model", "n")) {
    // MPI counts are int: one replica's particles (and a group's blocks) stay below 2^31.
    if (*v < 1 || *v > std::numeric_limits<int>::max())
      r.fail("model", "n", r.get("model", "n"), "must be an integer in [1, 2147483647]");
    m.n = static_cast<long>(*v);
  }
  if ((node = r.get("model", "n_plus"))) {
    if (auto* str = node->as_string(); str && str->get() == "random") {
      m.n_plus.reset();
    } else if (auto* i = node->as_integer()) {
      if (!(i->get() >= 0 && i->get() <= m.n))
        r.fail("model", "n_plus", node, fmt::format("must satisfy 0 <= n_plus <= n = {}", m.n));
      m.n_plus = static_cast<long>(i->get());
    } else {
      r.fail("model", "n_plus", node, "expected an integer or \"random\"");
    }
  } else {
    m.n_plus = m.n / 2;
  }
  if (auto v = r.integer("model", "lattice")) {
    if (*v < 4) r.fail("model", "lattice", r.get("model", "lattice"), "must be an integer >= 4");
    if (*v > std::numeric_limits<int>::max())
      r.fail("model", "lattice", r.get("model", "lattice"),
             fmt::format("must be an integer <= {}", std::numeric_limits<int>::max()));
    m.lattice = static_cast<int>(*v);
  }
  if (auto v = r.number("model", "delta")) m.delta = *v;
  if (!(m.eps() <= m.delta && m.delta <= 0.5)) {
    const auto rule =
        fmt::format("must satisfy eps = 1/lattice = {} <= delta <= 0.5", num(m.eps()));
    if (r.has("model", "delta")) r.fail("model", "delta", r.get("model", "delta"), rule);
    r.fail_default("model", "delta", m.delta, rule);
  }
  if ((node = r.get("model", "beta"))) {
    if (auto* str = node->as_string(); str && str->get() == "inf") {
      m.beta = kInf;
    } else if (auto d = Reader::as_number(*node)) {
      if (!(*d > 0)) r.fail("model", "beta", node, "must be a number > 0 or \"inf\"");
      m.beta = *d;
    } else {
      r.fail("model", "beta", node, "expected a number > 0 or \"inf\"");
    }
  }
  m.T = positive(r, "model", "T", m.T);

  // [potential]
  if (auto k = choice(r, "potential", "kind",
                      std::array{KernelKind::gaussian, KernelKind::cai, KernelKind::bump}))
    s.kernel = *k;
  // The bump table's exact radial correction needs the core inside a quarter cell.
  if (s.kernel == KernelKind::bump && m.delta > 0.25) {
    const auto rule = std::string("potential.kind = \"bump\" needs delta <= 0.25");
    if (r.has("model", "delta")) r.fail("model", "delta", r.get("model", "delta"), rule);
    r.fail_default("model", "delta", m.delta, rule);
  }

  // [initial]
  InitialParams& in = s.initial;
  if (auto k = choice(r, "initial", "kind",
                      std::array{InitialKind::uniform, InitialKind::cosine, InitialKind::blobs,
                                 InitialKind::file}))
    in.kind = *k;
  if (auto v = r.number("initial", "mass_plus")) {
    if (!(*v >= 0 && *v <= 1))
      r.fail("initial", "mass_plus", r.get("initial", "mass_plus"),
             "must satisfy 0 <= mass_plus <= 1 (total mass is 1)");
    in.mass_plus = *v;
  }
  const char* amp_rule = "must satisfy |amplitude| <= 1 (non-negative density)";
  if (auto v = r.number("initial", "amplitude")) {
    if (!(std::abs(*v) <= 1))
      r.fail("initial", "amplitude", r.get("initial", "amplitude"), amp_rule);
    in.amplitude = *v;
    in.amplitude_minus = -*v;
  }
  if (auto v = r.number("initial", "amplitude_minus")) {
    if (!(std::abs(*v) <= 1))
      r.fail("initial", "amplitude_minus", r.get("initial", "amplitude_minus"),
             "must satisfy |amplitude_minus| <= 1 (non-negative density)");
    in.amplitude_minus = *v;
  }
  if ((node = r.get("initial", "k"))) {
    const auto* a = node->as_array();
    const toml::value<int64_t>* k1 = nullptr;
    const toml::value<int64_t>* k2 = nullptr;
    if (a && a->size() == 2) {
      k1 = a->get(0)->as_integer();
      k2 = a->get(1)->as_integer();
    }
    if (!k1 || !k2) r.fail("initial", "k", node, "expected two integers [k1, k2]");
    constexpr long long kmax = 1 << 20;
    if (std::llabs(k1->get()) > kmax || std::llabs(k2->get()) > kmax)
      r.fail("initial", "k", node, fmt::format("components must satisfy |k| <= {}", kmax));
    in.k = {static_cast<int>(k1->get()), static_cast<int>(k2->get())};
  }
  in.phase = finite(r, "initial", "phase", in.phase);
  in.phase_minus = finite(r, "initial", "phase_minus", in.phase_minus);
  in.blobs_plus = read_blobs(r, "blobs_plus");
  in.blobs_minus = read_blobs(r, "blobs_minus");
  if (in.kind == InitialKind::blobs) {
    if (in.mass_plus > 0 && in.blobs_plus.empty())
      r.fail("initial", "blobs_plus", r.get("initial", "blobs_plus"),
             fmt::format("at least one blob is needed when kind = \"blobs\" and mass_plus = {} > 0",
                         num(in.mass_plus)));
    if (in.mass_minus() > 0 && in.blobs_minus.empty())
      r.fail("initial", "blobs_minus", r.get("initial", "blobs_minus"),
             fmt::format("at least one blob is needed when kind = \"blobs\" and mass_minus = 1 - "
                         "mass_plus = {} > 0",
                         num(in.mass_minus())));
  }
  if (auto v = r.string("initial", "file")) in.file = *v;
  if (in.kind == InitialKind::file && in.file.empty())
    r.fail("initial", "file", r.get("initial", "file"),
           "kind = \"file\" needs a non-empty path to an HDF5 file");

  // [run]
  RunParams& run = s.run;
  if (auto v = r.strings("run", "models")) {
    check_subset(r, "run", "models", *v, {"mf", "mfeps", "sde", "rw", "exact2"}, true);
    run.models = *v;
  }
  if ((node = r.get("run", "replicas"))) {
    if (auto* str = node->as_string(); str && str->get() == "auto") {
      run.replicas = "auto";
    } else if (auto* i = node->as_integer()) {
      if (i->get() < 1) r.fail("run", "replicas", node, "must be an integer >= 1 or \"auto\"");
      run.replicas = std::to_string(i->get());
    } else {
      r.fail("run", "replicas", node, "expected an integer >= 1 or \"auto\"");
    }
  }
  if (r.has("run", "target_stderr")) run.target_stderr = positive(r, "run", "target_stderr", 0);
  if (const auto* wt = r.get("run", "walltime")) {
    if (const auto* text = wt->as_string()) {
      const auto seconds = parse_walltime(text->get());
      if (!seconds)
        r.fail("run", "walltime", wt,
               "expected seconds > 0 or \"[D-]HH:MM:SS\" as Slurm writes it");
      run.walltime = *seconds;
    } else {
      run.walltime = positive(r, "run", "walltime", 0);
    }
  }
  if (auto v = r.integer("run", "max_replicas")) {
    if (*v < 1)
      r.fail("run", "max_replicas", r.get("run", "max_replicas"), "must be an integer >= 1");
    run.max_replicas = static_cast<long>(*v);
  }
  if (auto v = r.integer("run", "ranks_per_replica")) {
    if (*v < 1 || *v > 1000000)
      r.fail("run", "ranks_per_replica", r.get("run", "ranks_per_replica"),
             "must be an integer in [1, 1000000] that divides the number of MPI ranks");
    run.ranks_per_replica = static_cast<int>(*v);
  }
  if (auto v = r.integer("run", "batch")) {
    if (*v < 1 || *v > 1000000)
      r.fail("run", "batch", r.get("run", "batch"), "must be an integer in [1, 1000000]");
    run.batch = static_cast<long>(*v);
  }
  if (run.replicas == "auto" && !(run.target_stderr > 0))
    r.fail("run", "replicas", r.get("run", "replicas"),
           "\"auto\" needs run.target_stderr > 0 (the standard error to reach)");
  if (auto v = r.integer("run", "seed")) {
    if (*v < 0) r.fail("run", "seed", r.get("run", "seed"), "must be an integer >= 0");
    run.seed = static_cast<std::uint64_t>(*v);
  }
  const auto times = r.numbers("run", "times");
  if (times && r.has("run", "dt_out"))
    r.fail("run", "dt_out", r.get("run", "dt_out"),
           "give either run.times or run.dt_out, not both");
  if (times) {
    bool ok = !times->empty();
    for (std::size_t i = 0; ok && i < times->size(); ++i) {
      double t = (*times)[i];
      if (!(t >= 0 && t <= m.T)) ok = false;
      if (i > 0 && !(t > (*times)[i - 1])) ok = false;
    }
    if (!ok)
      r.fail("run", "times", r.get("run", "times"),
             fmt::format("must be non-empty, strictly increasing and inside [0, T] = [0, {}]",
                         num(m.T)));
    run.times = *times;
  } else {
    // Default: five equally spaced times from 0 to T.
    double dt = m.T / 4;
    if (r.has("run", "dt_out")) {
      dt = positive(r, "run", "dt_out", dt);
      if (m.T / dt > kMaxOutputTimes)
        r.fail("run", "dt_out", r.get("run", "dt_out"),
               fmt::format("gives more than {} output times for T = {}", num(kMaxOutputTimes),
                           num(m.T)));
    }
    run.times.clear();
    for (long k = 0;; ++k) {
      double t = static_cast<double>(k) * dt;
      if (t >= m.T * (1 - kTimesRelTol)) break;
      run.times.push_back(t);
    }
    run.times.push_back(m.T);
  }
  run.output = nonempty_string(r, "run", "output", run.output);

  // [metrics]
  if (auto v = r.strings("metrics", "kinds")) {
    check_subset(r, "metrics", "kinds", *v, {"bl", "w1", "hs"}, false);
    s.metrics.kinds = *v;
  }
  auto int_in = [&](const char* key, long lo, long hi, int dflt) {
    auto v = r.integer("metrics", key);
    if (!v) return dflt;
    if (*v < lo || *v > hi)
      r.fail("metrics", key, r.get("metrics", key),
             fmt::format("must be an integer in [{}, {}]", lo, hi));
    return static_cast<int>(*v);
  };
  s.metrics.grid = int_in("grid", 8, 1024, s.metrics.grid);
  s.metrics.hs_modes = int_in("hs_modes", 1, 256, s.metrics.hs_modes);
  if (auto v = r.integer("metrics", "stencil")) {
    if (*v != 8 && *v != 16 && *v != 32)
      r.fail("metrics", "stencil", r.get("metrics", "stencil"), "must be 8, 16 or 32");
    s.metrics.stencil = static_cast<int>(*v);
  }
  s.metrics.law_bins = int_in("law_bins", 1, 4096, s.metrics.law_bins);
  s.metrics.pair_bins = int_in("pair_bins", 1, 100000, s.metrics.pair_bins);
  if (const auto* flag = r.get("metrics", "rw_against_mf")) {
    if (const auto* b = flag->as_boolean())
      s.metrics.rw_against_mf = b->get();
    else
      r.fail("metrics", "rw_against_mf", flag, "expected true or false");
  }
  if (auto v = r.number("metrics", "hs_order")) {
    if (!(*v > 1 && *v <= 10))
      r.fail("metrics", "hs_order", r.get("metrics", "hs_order"),
             "must be a number with 1 < s <= 10");
    s.metrics.hs_order = *v;
  }

  // [mf]
  if (auto v = r.integer("mf", "M")) {
    if (!(*v >= 8 && *v % 2 == 0 && *v <= (1 << 20)))
      r.fail("mf", "M", r.get("mf", "M"), "must be an even integer with 8 <= M <= 1048576");
    s.mf.M = static_cast<int>(*v);
  }
  s.mf.rtol = positive(r, "mf", "rtol", s.mf.rtol);
  s.mf.atol = positive(r, "mf", "atol", s.mf.atol);
  s.mf.ts_type = nonempty_string(r, "mf", "ts_type", s.mf.ts_type);
  if (auto v = r.number("mf", "hyperviscosity")) {
    if (!(*v >= 0 && std::isfinite(*v)))
      r.fail("mf", "hyperviscosity", r.get("mf", "hyperviscosity"), "must be a finite number >= 0");
    s.mf.hyperviscosity = *v;
  } else if (m.noiseless()) {
    s.mf.hyperviscosity = 10;
  }

  // [mfeps]
  s.mfeps.rtol = positive(r, "mfeps", "rtol", s.mfeps.rtol);
  s.mfeps.atol = positive(r, "mfeps", "atol", s.mfeps.atol);
  s.mfeps.ts_type = nonempty_string(r, "mfeps", "ts_type", s.mfeps.ts_type);

  // [sde]
  if ((node = r.get("sde", "dt"))) {
    if (auto* str = node->as_string(); str && str->get() == "auto") {
      s.sde.dt = 0;
    } else if (auto d = Reader::as_number(*node); d && *d > 0 && *d <= m.T) {
      s.sde.dt = *d;
    } else {
      r.fail("sde", "dt", node,
             fmt::format("must be \"auto\" or a number with 0 < dt <= T = {}", num(m.T)));
    }
  }
  if (auto v = r.string("sde", "force")) {
    if (*v != "auto" && *v != "direct" && *v != "pm")
      r.fail("sde", "force", r.get("sde", "force"), "must be one of \"auto\", \"direct\", \"pm\"");
    s.sde.force = *v;
  }
  if (auto v = r.number("sde", "pm_tolerance")) {
    if (!(*v >= 1e-12 && *v <= 0.1))
      r.fail("sde", "pm_tolerance", r.get("sde", "pm_tolerance"), "must be in [1e-12, 0.1]");
    s.sde.pm_tolerance = *v;
  }
  if (auto v = r.integer("sde", "noise_refinement")) {
    if (!(*v >= 0 && *v <= 16))
      r.fail("sde", "noise_refinement", r.get("sde", "noise_refinement"),
             "must be an integer in [0, 16]");
    s.sde.noise_refinement = static_cast<int>(*v);
  }
  s.sde.ode_rtol = positive(r, "sde", "ode_rtol", s.sde.ode_rtol);
  s.sde.ode_atol = positive(r, "sde", "ode_atol", s.sde.ode_atol);

  // [rw]
  if (auto v = r.string("rw", "algorithm")) {
    if (*v != "veto" && *v != "reference")
      r.fail("rw", "algorithm", r.get("rw", "algorithm"), "must be \"veto\" or \"reference\"");
    s.rw.algorithm = *v;
  }
  // [chaos]
  if (const auto* c = r.get("chaos", "coupling")) {
    const auto* b = c->as_boolean();
    if (!b) r.fail("chaos", "coupling", c, "expected true or false");
    s.chaos.coupling = b->get();
  }
  if (auto v = r.integer("chaos", "frames")) {
    if (*v < 1 || *v > 100000)
      r.fail("chaos", "frames", r.get("chaos", "frames"), "must be an integer in [1, 100000]");
    s.chaos.frames = static_cast<int>(*v);
  }
  if (auto v = r.integer("chaos", "time_change_max_n")) {
    if (*v < 0)
      r.fail("chaos", "time_change_max_n", r.get("chaos", "time_change_max_n"),
             "must be an integer >= 0");
    s.chaos.time_change_max_n = static_cast<long>(*v);
  }
  if (s.chaos.coupling && m.noiseless())
    r.fail("chaos", "coupling", r.get("chaos", "coupling"),
           "the couplings share the noise: model.beta must be finite");
  if (s.chaos.coupling && !(s.run.has_model("sde") || s.run.has_model("rw")))
    r.fail("chaos", "coupling", r.get("chaos", "coupling"),
           "couples particle models: run.models needs \"sde\" or \"rw\"");

  // exact2: the two-particle laws (exact2.hpp) exist for these studies only.
  if (s.run.has_model("exact2")) {
    const auto* models = r.get("run", "models");
    const auto rule = [&](bool ok, const std::string& what) {
      if (!ok) r.fail("run", "models", models, "\"exact2\" needs " + what);
    };
    rule(m.n == 2, fmt::format("model.n = 2 (is {})", m.n));
    rule(m.n_plus.has_value(), "fixed signs (model.n_plus = 0, 1 or 2, not \"random\")");
    rule(!m.noiseless(), "a finite model.beta");
    rule(s.initial.kind == InitialKind::uniform || s.initial.kind == InitialKind::cosine,
         "initial.kind = \"uniform\" or \"cosine\"");
    rule(s.initial.kind != InitialKind::cosine ||
             2 * std::max(std::abs(s.initial.k[0]), std::abs(s.initial.k[1])) < m.lattice / 2,
         fmt::format("twice initial.k's components below lattice/2 = {}", m.lattice / 2));
  }

  // A sign with particles needs mass to draw them from.
  const bool particles = s.run.has_model("sde") || s.run.has_model("rw");
  if (particles && m.n_plus &&
      ((*m.n_plus > 0 && s.initial.mass_plus <= 0) ||
       (*m.n_plus < m.n && s.initial.mass_minus() <= 0)))
    r.fail("model", "n_plus", r.get("model", "n_plus"),
           fmt::format("a sign with particles needs positive initial mass (initial.mass_plus = {})",
                       num(s.initial.mass_plus)));

  // The SDE law is compared with MF cell averages: every cell needs an MF node (the
  // default follows mf.M down).
  if (!r.has("metrics", "law_bins")) s.metrics.law_bins = std::min(s.metrics.law_bins, s.mf.M);
  if (s.run.has_model("sde") && s.metrics.law_bins > s.mf.M) {
    const auto rule = fmt::format("must be <= mf.M = {} when run.models has \"sde\"", s.mf.M);
    if (r.has("metrics", "law_bins"))
      r.fail("metrics", "law_bins", r.get("metrics", "law_bins"), rule);
    r.fail_default("metrics", "law_bins", s.metrics.law_bins, rule);
  }

  // Warnings.
  if (s.chaos.coupling && s.run.has_model("rw")) {
    // Each RW coupling keeps X's forces exact: O(n) work per event, 4n/(beta eps^2) events
    // per unit time for X and as many for Xbar.
    const double n = double(m.n), events = 8 * n * m.T / (m.beta * m.eps() * m.eps());
    const double updates = events * n * (m.n <= s.chaos.time_change_max_n ? 2 : 1);
    if (updates > kCouplingWarnUpdates)
      s.warnings.push_back(fmt::format(
          "{}: chaos.coupling with \"rw\": the RW couplings cost O(n) per event, about {:.1e} "
          "pair updates per replica (docs/chaos.md); a smaller n or lattice runs faster",
          s.source, updates));
  }
  const double ratio = m.delta / m.eps();
  if (m.beta > ratio)
    s.warnings.push_back(fmt::format(
        "{}: outside Assumption 2 of the paper: beta = {} > delta/eps = {}; the paper's "
        "convergence results do not cover this study",
        s.source, m.noiseless() ? "inf" : num(m.beta), num(ratio)));
  return s;
}

// "section.key=value" into the table. Returns "section.key".
std::string apply_override(toml::table& root, const std::string& source, const std::string& o) {
  const auto eq = o.find('=');
  auto trim = [](std::string_view v) {
    const auto b = v.find_first_not_of(" \t");
    if (b == std::string_view::npos) return std::string();
    const auto e = v.find_last_not_of(" \t");
    return std::string(v.substr(b, e - b + 1));
  };
  const std::string lhs = eq == std::string::npos ? std::string() : trim(o.substr(0, eq));
  const auto dot = lhs.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == lhs.size())
    throw InputError(
        fmt::format("{}: --set {}: malformed override, expected section.key=value", source, o));
  const std::string section = lhs.substr(0, dot);
  const std::string key = lhs.substr(dot + 1);
  const auto* s = find_section(section);
  if (!s)
    throw InputError(fmt::format("{}: --set {}: unknown section [{}] (allowed: {})", source, lhs,
                                 section, section_names()));
  if (!section_has_key(*s, key))
    throw InputError(
        fmt::format("{}: --set {}: unknown key (allowed: {})", source, lhs, join(s->keys)));

  const std::string value = trim(o.substr(eq + 1));
  toml::table parsed;
  bool is_toml = false;
  try {
    parsed = toml::parse("x = " + value);
    is_toml = parsed.size() == 1 && parsed.contains("x");
  } catch (const toml::parse_error&) {
    is_toml = false;
  }

  toml::node* sec_node = root.get(section);
  if (!sec_node) {
    root.insert(section, toml::table{});
    sec_node = root.get(section);
  }
  auto* sec = sec_node->as_table();
  if (!sec)
    throw InputError(fmt::format("{}: {} = {}: expected a table [{}]", source, section,
                                 render(*sec_node), section));
  if (is_toml)
    parsed.get("x")->visit([&](auto&& v) { sec->insert_or_assign(key, std::move(v)); });
  else
    sec->insert_or_assign(key, value);
  return lhs;
}

std::string one_line(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

// ---------------------------------------------------------------- writing TOML

std::string toml_doubles(const std::vector<double>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + format_double(xs[i]);
  return out + "]";
}

std::string toml_strings(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + quote(xs[i]);
  return out + "]";
}

std::string toml_blobs(const std::vector<Blob>& blobs) {
  std::string out = "[";
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    const Blob& b = blobs[i];
    out += fmt::format("{}{{ centre = [{}, {}], width = {}, weight = {} }}", i ? ", " : "",
                       format_double(b.centre[0]), format_double(b.centre[1]),
                       format_double(b.width), format_double(b.weight));
  }
  return out + "]";
}

}  // namespace

namespace {
// The file's table with the overrides applied; labels records which keys they set.
toml::table parse_root(const std::string& toml_text, const std::string& source_name,
                       const std::vector<std::string>& overrides,
                       std::map<std::string, std::string>& labels) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: line {}, column {}: TOML syntax error: {}", source_name,
                                 e.source().begin.line, e.source().begin.column,
                                 one_line(e.description())));
  }
  for (const auto& o : overrides) {
    const std::string key = apply_override(root, source_name, o);
    labels[key] = "--set " + key;
  }
  return root;
}

std::string read_study_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the study file for reading", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("{}: cannot read the study file", path));
  return text.str();
}
}  // namespace

Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> labels;
  const toml::table root = parse_root(toml_text, source_name, overrides, labels);
  Reader reader(source_name, root, std::move(labels));
  reader.check_structure();
  if (root.contains("sweep"))
    throw InputError(
        fmt::format("{}: [sweep]: a sweep is several studies; run it with dislo run "
                    "(all points, or one with --sweep-index)",
                    source_name));
  return resolve(reader);
}

Study load_study(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_study("", "<default>", overrides);
  return parse_study(read_study_file(path), path, overrides);
}

std::string sweep_point_output(const std::string& output, long index, long points) {
  const std::filesystem::path p(output);
  const int width = static_cast<int>(std::to_string(std::max(points - 1, 0L)).size());
  const std::string name =
      fmt::format("{}-{:0{}}{}", p.stem().string(), index, width, p.extension().string());
  return (p.parent_path() / name).string();
}

std::vector<Study> parse_sweep(const std::string& toml_text, const std::string& source_name,
                               const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> labels;
  const toml::table root = parse_root(toml_text, source_name, overrides, labels);
  Reader(source_name, root, labels).check_structure();
  const auto* sweep = root.get_as<toml::table>("sweep");
  if (!sweep) return {resolve(Reader(source_name, root, std::move(labels)))};

  auto sweep_label = [&](std::string_view key) {
    const std::string loc = fmt::format("sweep.{}", key);
    return labels.count(loc) ? "--set " + loc : loc;
  };
  bool zip = false;
  if (const auto* m = sweep->get("mode")) {
    const auto* text = m->as_string();
    if (!text || (text->get() != "product" && text->get() != "zip"))
      throw InputError(fmt::format("{}: {} = {}: must be \"product\" or \"zip\"", source_name,
                                   sweep_label("mode"), render(*m)));
    zip = text->get() == "zip";
  }
  struct Axis {
    const SweepKey* key;
    const toml::array* values;
  };
  std::vector<Axis> axes;
  for (const auto& k : kSweepKeys) {
    const auto* node = sweep->get(k.name);
    if (!node) continue;
    const auto* values = node->as_array();
    if (!values || values->empty())
      throw InputError(fmt::format("{}: {} = {}: expected a non-empty array of values of {}.{}",
                                   source_name, sweep_label(k.name), render(*node), k.section,
                                   k.key));
    axes.push_back({&k, values});
  }
  if (axes.empty())
    throw InputError(
        fmt::format("{}: [sweep]: no values to sweep (keys: n, lattice, delta, beta, "
                    "T, kernel, seed)",
                    source_name));
  long points = zip ? long(axes[0].values->size()) : 1;
  for (const auto& a : axes) {
    const long size = long(a.values->size());
    if (zip && size != points)
      throw InputError(
          fmt::format("{}: {} has {} values but sweep.{} has {}: zipped lists need equal lengths",
                      source_name, sweep_label(a.key->name), size, axes[0].key->name, points));
    if (!zip) {
      if (points > kMaxSweepPoints / size)
        throw InputError(
            fmt::format("{}: [sweep]: more than {} points", source_name, kMaxSweepPoints));
      points *= size;
    }
  }

  std::vector<Study> studies;
  for (long p = 0; p < points; ++p) {
    toml::table point = root;
    point.erase("sweep");
    auto point_labels = labels;
    std::string values_text;
    long rest = p;
    std::vector<std::size_t> chosen(axes.size());
    for (std::size_t a = axes.size(); a-- > 0;) {
      const auto size = long(axes[a].values->size());
      chosen[a] = std::size_t(zip ? p : rest % size);
      rest /= zip ? 1 : size;
    }
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const SweepKey& k = *axes[a].key;
      const toml::node& value = *axes[a].values->get(chosen[a]);
      if (!point.contains(k.section)) point.insert(k.section, toml::table{});
      auto* section = point.get(k.section)->as_table();
      if (!section)
        throw InputError(
            fmt::format("{}: {}: expected a table [{}]", source_name, k.section, k.section));
      value.visit([&](auto&& v) { section->insert_or_assign(k.key, v); });
      point_labels[fmt::format("{}.{}", k.section, k.key)] =
          fmt::format("{}[{}]", sweep_label(k.name), chosen[a]);
      values_text +=
          fmt::format("{}{} = {}", values_text.empty() ? "" : ", ", k.name, render(value));
    }
    try {
      Study s = resolve(Reader(source_name, point, std::move(point_labels)));
      s.sweep.index = p;
      s.sweep.points = points;
      for (const auto& a : axes) s.sweep.keys.emplace_back(a.key->name);
      s.sweep.table = s.run.output;
      s.run.output = sweep_point_output(s.run.output, p, points);
      studies.push_back(std::move(s));
    } catch (const InputError& e) {
      throw InputError(
          fmt::format("{} (sweep point {} of {}: {})", e.what(), p, points, values_text));
    }
  }
  return studies;
}

std::vector<Study> load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_sweep("", "<default>", overrides);
  return parse_sweep(read_study_file(path), path, overrides);
}

std::string to_toml(const Study& s) {
  std::string o;
  auto line = [&o](std::string_view key, const std::string& value) {
    o += fmt::format("{} = {}\n", key, value);
  };
  const ModelParams& m = s.model;
  o += "[model]\n";
  line("n", std::to_string(m.n));
  line("n_plus", m.n_plus ? std::to_string(*m.n_plus) : quote("random"));
  line("lattice", std::to_string(m.lattice));
  line("delta", format_double(m.delta));
  line("beta", m.noiseless() ? quote("inf") : format_double(m.beta));
  line("T", format_double(m.T));

  o += "\n[potential]\n";
  line("kind", quote(to_string(s.kernel)));

  const InitialParams& in = s.initial;
  o += "\n[initial]\n";
  line("kind", quote(to_string(in.kind)));
  line("mass_plus", format_double(in.mass_plus));
  line("amplitude", format_double(in.amplitude));
  line("amplitude_minus", format_double(in.amplitude_minus));
  line("k", fmt::format("[{}, {}]", in.k[0], in.k[1]));
  line("phase", format_double(in.phase));
  line("phase_minus", format_double(in.phase_minus));
  line("blobs_plus", toml_blobs(in.blobs_plus));
  line("blobs_minus", toml_blobs(in.blobs_minus));
  line("file", quote(in.file));

  const RunParams& run = s.run;
  o += "\n[run]\n";
  line("models", toml_strings(run.models));
  const bool numeric =
      !run.replicas.empty() && std::all_of(run.replicas.begin(), run.replicas.end(),
                                           [](char c) { return c >= '0' && c <= '9'; });
  line("replicas", numeric ? run.replicas : quote(run.replicas));
  if (run.target_stderr > 0) line("target_stderr", format_double(run.target_stderr));
  line("max_replicas", std::to_string(run.max_replicas));
  line("batch", std::to_string(run.batch));
  if (run.walltime > 0) line("walltime", format_double(run.walltime));
  if (run.ranks_per_replica != 1) line("ranks_per_replica", std::to_string(run.ranks_per_replica));
  line("seed", std::to_string(run.seed));
  line("times", toml_doubles(run.times));
  line("output", quote(run.output));

  o += "\n[metrics]\n";
  line("kinds", toml_strings(s.metrics.kinds));
  line("grid", std::to_string(s.metrics.grid));
  line("stencil", std::to_string(s.metrics.stencil));
  line("hs_order", format_double(s.metrics.hs_order));
  line("hs_modes", std::to_string(s.metrics.hs_modes));
  line("law_bins", std::to_string(s.metrics.law_bins));
  line("pair_bins", std::to_string(s.metrics.pair_bins));
  line("rw_against_mf", s.metrics.rw_against_mf ? "true" : "false");

  o += "\n[mf]\n";
  line("M", std::to_string(s.mf.M));
  line("rtol", format_double(s.mf.rtol));
  line("atol", format_double(s.mf.atol));
  line("ts_type", quote(s.mf.ts_type));
  line("hyperviscosity", format_double(s.mf.hyperviscosity));

  o += "\n[mfeps]\n";
  line("rtol", format_double(s.mfeps.rtol));
  line("atol", format_double(s.mfeps.atol));
  line("ts_type", quote(s.mfeps.ts_type));

  o += "\n[sde]\n";
  line("dt", s.sde.dt > 0 ? format_double(s.sde.dt) : quote("auto"));
  line("force", quote(s.sde.force));
  line("pm_tolerance", format_double(s.sde.pm_tolerance));
  line("noise_refinement", std::to_string(s.sde.noise_refinement));
  line("ode_rtol", format_double(s.sde.ode_rtol));
  line("ode_atol", format_double(s.sde.ode_atol));

  o += "\n[rw]\n";
  line("algorithm", quote(s.rw.algorithm));

  o += "\n[chaos]\n";
  line("coupling", s.chaos.coupling ? "true" : "false");
  line("frames", std::to_string(s.chaos.frames));
  line("time_change_max_n", std::to_string(s.chaos.time_change_max_n));
  if (s.sweep.index < 0) return o;
  std::string keys;
  for (const auto& k : s.sweep.keys) keys += (keys.empty() ? "" : ", ") + k;
  return fmt::format("# sweep point {} of {} (0-based; swept: {})\n", s.sweep.index, s.sweep.points,
                     keys) +
         o;
}

}  // namespace dislo
