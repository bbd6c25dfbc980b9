// The study file: TOML parsing (toml++), overrides, validation, resolution, and the
// resolved study written back as TOML. Every user error is an InputError with one line:
// "SOURCE: section.key = VALUE: what is allowed".
//
// Every study key is one entry of kKeys below: where it lives in the Study, what it
// accepts and how it is documented. Reading and range-checking the regular keys, to_toml
// and the key tables of docs/study-file.md all come from that table; the few irregular
// keys bring readers or writers of their own, and rules across keys run after each section.
#include "dislo/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

namespace dislo {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr long kIntMax = std::numeric_limits<int>::max();
// Relative tolerance when deciding whether T is a multiple of dt_out.
constexpr double kTimesRelTol = 1e-12;
// Guard against a dt_out so small that the list of output times would exhaust memory.
constexpr double kMaxOutputTimes = 1e6;
// RW couplings: warn above this many pair updates per replica (minutes at ~1e8 per second).
constexpr double kCouplingWarnUpdates = 1e10;
// More points than this is a typo, not a study.
constexpr long kMaxSweepPoints = 1000000;

// ---------------------------------------------------------------- rendering values

template <class Strings>
std::string join(const Strings& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

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

std::string one_line(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

// "a b c" -> {"a", "b", "c"}: the option lists of the key table.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ---------------------------------------------------------------- the schema

// A section's keys in table order (messages list them as allowed).
struct SectionSchema {
  std::string name;
  std::vector<const char*> keys;
};
const std::vector<SectionSchema>& schema();

const SectionSchema* find_section(std::string_view name) {
  for (const auto& s : schema())
    if (name == s.name) return &s;
  return nullptr;
}

bool section_has_key(const SectionSchema& s, std::string_view key) {
  return std::any_of(s.keys.begin(), s.keys.end(), [&](const char* k) { return key == k; });
}

std::string section_names() {
  std::vector<std::string> names;
  for (const auto& s : schema()) names.push_back(s.name);
  return join(names);
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

  // The key's own value when the file has it, else its default.
  [[noreturn]] void fail_value(std::string_view section, std::string_view key, double value,
                               std::string_view what) const {
    if (has(section, key)) fail(section, key, get(section, key), what);
    fail_default(section, key, value, what);
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
  // The keys of a section that the file or an override sets.
  std::vector<std::string> keys_set(std::string_view section) const {
    std::vector<std::string> keys;
    if (const auto* t = root_.get_as<toml::table>(section))
      for (auto&& [key, value] : *t) keys.emplace_back(key.str());
    return keys;
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

  std::optional<bool> boolean(std::string_view section, std::string_view key) const {
    const auto* n = get(section, key);
    if (!n) return std::nullopt;
    if (auto* v = n->as_boolean()) return v->get();
    fail(section, key, n, "expected true or false");
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

// ---------------------------------------------------------------- the key table's types

// What a regular key accepts beyond its type. The error message's "what is allowed" and
// the docs' "allowed" column are generated from it (rule_of).
enum class Check {
  any,               // the type only
  between,           // lo <= v <= hi
  above_up_to,       // lo < v <= hi
  at_least,          // v >= lo
  positive,          // finite, > 0
  non_negative,      // finite, >= 0
  finite,            // not inf or nan
  abs_at_most,       // |v| <= hi
  even_between,      // even, lo <= v <= hi
  one_of,            // one of options
  non_empty,         // a string other than ""
  subset,            // strings from options, none twice
  non_empty_subset,  // and at least one
};

struct Range {
  Check check = Check::any;
  double lo = 0;
  double hi = 0;
  const char* options = "";    // one_of and the subsets: the values, separated by spaces
  const char* rule = nullptr;  // the message's wording where the generated one does not fit
};

constexpr Range between(double lo, double hi, const char* rule = nullptr) {
  return {Check::between, lo, hi, "", rule};
}
constexpr Range above_up_to(double lo, double hi, const char* rule) {
  return {Check::above_up_to, lo, hi, "", rule};
}
constexpr Range at_least(double lo) { return {Check::at_least, lo}; }
constexpr Range abs_at_most(double hi, const char* rule) {
  return {Check::abs_at_most, 0, hi, "", rule};
}
constexpr Range even_between(double lo, double hi, const char* rule) {
  return {Check::even_between, lo, hi, "", rule};
}
constexpr Range one_of(const char* options) { return {Check::one_of, 0, 0, options}; }
constexpr Range subset(const char* options) { return {Check::subset, 0, 0, options}; }
constexpr Range non_empty_subset(const char* options) {
  return {Check::non_empty_subset, 0, 0, options};
}
constexpr Range kAny{};  // the type only (any range is hand-checked)
constexpr Range kPositive{Check::positive};
constexpr Range kNonNegative{Check::non_negative};
constexpr Range kFinite{Check::finite};
constexpr Range kNonEmpty{Check::non_empty};

enum class ValueKind { integer, number, string, boolean, strings, choice, other };

struct KeySpec;

// How a key's value gets into the Study and back out as TOML: generated for a field by
// field<...>(), or hand-written for the irregular keys.
struct Access {
  using Read = void (*)(const Reader&, const KeySpec&, Study&);
  using Write = std::string (*)(const Study&);
  Read read = nullptr;    // nullptr: read together with another key (dt_out with times)
  Write write = nullptr;  // nullptr: to_toml leaves it out (dt_out: resolved into times)
  bool (*at_default)(const Study&) = nullptr;
  ValueKind kind = ValueKind::other;
  const char* type = "";                          // docs
  std::vector<std::string> (*names)() = nullptr;  // enums: the names
  constexpr Access reading(Read f) const {
    Access a = *this;
    a.read = f;
    return a;
  }
  constexpr Access writing(Write f) const {
    Access a = *this;
    a.write = f;
    return a;
  }
};

// Docs for keys whose column does not follow from the field and the range (Markdown).
struct Doc {
  const char* type = nullptr;
  const char* allowed = nullptr;
  const char* dflt = nullptr;
};

struct KeySpec {
  const char* section;
  const char* key;
  Access access;
  Range range;
  const char* meaning;  // docs
  Doc doc = {};
  // Written only when it differs from its default, so that studies which do not use the
  // key keep the text they had before it existed (output files, checkpoint identities).
  bool omit_at_default = false;
};

const Study& default_study() {
  static const Study s;
  return s;
}

// ---------------------------------------------------------------- checking ranges

bool within(const Range& g, double v) {
  switch (g.check) {
    case Check::between:
      return g.lo <= v && v <= g.hi;
    case Check::above_up_to:
      return g.lo < v && v <= g.hi;
    case Check::at_least:
      return v >= g.lo;
    case Check::positive:
      return v > 0 && std::isfinite(v);
    case Check::non_negative:
      return v >= 0 && std::isfinite(v);
    case Check::finite:
      return std::isfinite(v);
    case Check::abs_at_most:
      return std::abs(v) <= g.hi;
    case Check::even_between:
      return g.lo <= v && v <= g.hi && std::fmod(v, 2) == 0;
    case Check::one_of:
      for (const auto& w : words(g.options))
        if (v == std::stod(w)) return true;
      return false;
    default:
      return true;
  }
}

bool within(const Range& g, const std::string& v) {
  const auto options = words(g.options);
  switch (g.check) {
    case Check::non_empty:
      return !v.empty();
    case Check::one_of:
      return std::find(options.begin(), options.end(), v) != options.end();
    default:
      return true;
  }
}

bool within(const Range& g, const std::vector<std::string>& values) {
  if (g.check != Check::subset && g.check != Check::non_empty_subset) return true;
  const auto options = words(g.options);
  std::set<std::string> seen;
  bool ok = !(g.check == Check::non_empty_subset && values.empty());
  for (const auto& v : values) {
    const bool known = std::find(options.begin(), options.end(), v) != options.end();
    if (!known || !seen.insert(v).second) ok = false;
  }
  return ok;
}

// "a, b or c"
std::string alternatives(const std::vector<std::string>& options) {
  if (options.size() < 2) return join(options);
  std::vector<std::string> head(options.begin(), options.end() - 1);
  return join(head) + " or " + options.back();
}

// The message's "what is allowed" of a key's range check ("" for none).
std::string rule_of(const KeySpec& k) {
  const Range& g = k.range;
  if (g.rule) return g.rule;
  const ValueKind kind = k.access.kind;
  if (kind == ValueKind::choice) return "must be one of " + join(k.access.names());
  const auto integer = [](double x) { return fmt::format("{}", static_cast<long long>(x)); };
  auto options = words(g.options);
  switch (g.check) {
    case Check::any:
      return {};
    case Check::between:
      if (kind == ValueKind::integer)
        return fmt::format("must be an integer in [{}, {}]", integer(g.lo), integer(g.hi));
      return fmt::format("must be in [{}, {}]", num(g.lo), num(g.hi));
    case Check::above_up_to:
      return fmt::format("must be in ({}, {}]", num(g.lo), num(g.hi));
    case Check::at_least:
      return fmt::format("must be an integer >= {}", integer(g.lo));
    case Check::positive:
      return "must be a finite number > 0";
    case Check::non_negative:
      return "must be a finite number >= 0";
    case Check::finite:
      return "must be a finite number";
    case Check::abs_at_most:
      return fmt::format("must satisfy |{}| <= {}", k.key, num(g.hi));
    case Check::even_between:
      return fmt::format("must be an even integer in [{}, {}]", integer(g.lo), integer(g.hi));
    case Check::one_of:
      if (kind == ValueKind::integer) return "must be " + alternatives(options);
      for (auto& o : options) o = quote(o);
      return options.size() == 2 ? "must be " + alternatives(options)
                                 : "must be one of " + join(options);
    case Check::non_empty:
      return "must be a non-empty string";
    case Check::subset:
    case Check::non_empty_subset:
      return fmt::format("must be a {}subset of [{}] without repetition",
                         g.check == Check::non_empty_subset ? "non-empty " : "", join(options));
  }
  return {};
}

[[noreturn]] void fail_rule(const Reader& r, const KeySpec& k) {
  r.fail(k.section, k.key, r.get(k.section, k.key), rule_of(k));
}

// The key's number, range-checked; nothing when the file does not have it.
std::optional<double> checked_number(const Reader& r, const KeySpec& k) {
  const auto v = r.number(k.section, k.key);
  if (v && !within(k.range, *v)) fail_rule(r, k);
  return v;
}

// ---------------------------------------------------------------- reading by type

template <class T>
concept IntegerField = std::integral<T> && !std::same_as<T, bool>;

template <IntegerField T>
void read_value(const Reader& r, const KeySpec& k, T& out) {
  const auto v = r.integer(k.section, k.key);
  if (!v) return;
  // As a double: exact at the table's bounds, and order-preserving for any value.
  if (!within(k.range, static_cast<double>(*v))) fail_rule(r, k);
  // Beyond the range, the field's own type bounds the value (model.lattice is an int).
  using Limits = std::numeric_limits<T>;
  if (std::cmp_greater(*v, Limits::max()))
    r.fail(k.section, k.key, r.get(k.section, k.key),
           fmt::format("must be an integer <= {}", Limits::max()));
  if (std::cmp_less(*v, Limits::min()))
    r.fail(k.section, k.key, r.get(k.section, k.key),
           fmt::format("must be an integer >= {}", Limits::min()));
  out = static_cast<T>(*v);
}

void read_value(const Reader& r, const KeySpec& k, double& out) {
  if (const auto v = checked_number(r, k)) out = *v;
}

void read_value(const Reader& r, const KeySpec& k, std::string& out) {
  const auto v = r.string(k.section, k.key);
  if (!v) return;
  if (!within(k.range, *v)) fail_rule(r, k);
  out = *v;
}

void read_value(const Reader& r, const KeySpec& k, bool& out) {
  if (const auto v = r.boolean(k.section, k.key)) out = *v;
}

void read_value(const Reader& r, const KeySpec& k, std::vector<std::string>& out) {
  const auto v = r.strings(k.section, k.key);
  if (!v) return;
  if (!within(k.range, *v)) fail_rule(r, k);
  out = *v;
}

constexpr auto enum_values(KernelKind) {
  return std::array{KernelKind::gaussian, KernelKind::cai, KernelKind::bump};
}
constexpr auto enum_values(InitialKind) {
  return std::array{InitialKind::uniform, InitialKind::cosine, InitialKind::blobs,
                    InitialKind::file};
}

template <class E>
std::vector<std::string> enum_names() {
  std::vector<std::string> out;
  for (E e : enum_values(E{})) out.emplace_back(to_string(e));
  return out;
}

template <class E>
requires std::is_enum_v<E>
void read_value(const Reader& r, const KeySpec& k, E& out) {
  const auto v = r.string(k.section, k.key);
  if (!v) return;
  for (E e : enum_values(E{}))
    if (*v == to_string(e)) {
      out = e;
      return;
    }
  fail_rule(r, k);
}

Blob read_blob(const Reader& r, const KeySpec& k, const toml::node& e, const std::string& item) {
  const char* expected = "expected an array of tables {centre = [x, y], width = w, weight = c}";
  const auto* t = e.as_table();
  if (!t) r.fail(k.section, item, &e, expected);
  for (auto&& [name, v] : *t)
    if (name.str() != "centre" && name.str() != "width" && name.str() != "weight")
      r.fail(k.section, fmt::format("{}.{}", item, name.str()), nullptr,
             "unknown key (allowed: centre, width, weight)");
  Blob b;
  const toml::node* c = t->get("centre");
  if (!c) r.fail(k.section, item + ".centre", nullptr, "missing: each blob needs a centre [x, y]");
  const auto* ca = c->as_array();
  std::optional<double> x, y;
  if (ca && ca->size() == 2) {
    x = Reader::as_number(*ca->get(0));
    y = Reader::as_number(*ca->get(1));
  }
  if (!x || !y) r.fail(k.section, item + ".centre", c, "expected two numbers [x, y]");
  if (!(*x >= 0 && *x < 1 && *y >= 0 && *y < 1))
    r.fail(k.section, item + ".centre", c, "must lie in [0, 1)^2");
  b.centre = {*x, *y};
  for (auto [name, field] : {std::pair{"width", &b.width}, std::pair{"weight", &b.weight}}) {
    const toml::node* w = t->get(name);
    if (!w) continue;
    const auto d = Reader::as_number(*w);
    const std::string loc = fmt::format("{}.{}", item, name);
    if (!d) r.fail(k.section, loc, w, "expected a number");
    if (!(*d > 0 && std::isfinite(*d))) r.fail(k.section, loc, w, "must be a finite number > 0");
    *field = *d;
  }
  return b;
}

void read_value(const Reader& r, const KeySpec& k, std::vector<Blob>& out) {
  const toml::node* n = r.get(k.section, k.key);
  if (!n) return;
  const auto* a = n->as_array();
  if (!a)
    r.fail(k.section, k.key, n,
           "expected an array of tables {centre = [x, y], width = w, weight = c}");
  out.clear();
  for (std::size_t i = 0; i < a->size(); ++i)
    out.push_back(read_blob(r, k, *a->get(i), fmt::format("{}[{}]", k.key, i)));
}

template <class T>
concept Readable = requires(const Reader& r, const KeySpec& k, T& x) {
  read_value(r, k, x);
};

// ---------------------------------------------------------------- writing by type

template <IntegerField T>
std::string toml_value(T x) {
  return std::to_string(x);
}
std::string toml_value(double x) { return format_double(x); }
std::string toml_value(const std::string& x) { return quote(x); }
std::string toml_value(bool x) { return x ? "true" : "false"; }
template <class E>
requires std::is_enum_v<E> std::string toml_value(E e) { return quote(to_string(e)); }
std::string toml_value(const std::array<int, 2>& x) { return fmt::format("[{}, {}]", x[0], x[1]); }

std::string toml_value(const std::vector<double>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + format_double(xs[i]);
  return out + "]";
}

std::string toml_value(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + quote(xs[i]);
  return out + "]";
}

std::string toml_value(const std::vector<Blob>& blobs) {
  std::string out = "[";
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    const Blob& b = blobs[i];
    out += fmt::format("{}{{ centre = [{}, {}], width = {}, weight = {} }}", i ? ", " : "",
                       format_double(b.centre[0]), format_double(b.centre[1]),
                       format_double(b.width), format_double(b.weight));
  }
  return out + "]";
}

template <class T>
concept Writable = requires(const T& x) {
  toml_value(x);
};

// ---------------------------------------------------------------- fields

// The field at Study.*Path[0].*Path[1]...
template <auto... Path>
struct FieldAt {
  using T = std::remove_cvref_t<decltype((std::declval<Study&>().*....*Path))>;
  static T& get(Study& s) { return (s.*....*Path); }
  static const T& get(const Study& s) { return (s.*....*Path); }
  static void read(const Reader& r, const KeySpec& k, Study& s) { read_value(r, k, get(s)); }
  static std::string write(const Study& s) { return toml_value(get(s)); }
  static bool at_default(const Study& s) { return get(s) == get(default_study()); }
};

template <class T>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "boolean";
  if constexpr (IntegerField<T>) return "integer";
  if constexpr (std::is_floating_point_v<T>) return "number";
  if constexpr (std::is_same_v<T, std::string> || std::is_enum_v<T>) return "string";
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "array of strings";
  if constexpr (std::is_same_v<T, std::vector<double>>) return "array of numbers";
  if constexpr (std::is_same_v<T, std::vector<Blob>>) return "array of blobs";
  if constexpr (std::is_same_v<T, std::array<int, 2>>) return "array of 2 integers";
  return "";
}

template <class T>
constexpr ValueKind kind_of() {
  if constexpr (std::is_same_v<T, bool>) return ValueKind::boolean;
  if constexpr (IntegerField<T>) return ValueKind::integer;
  if constexpr (std::is_floating_point_v<T>) return ValueKind::number;
  if constexpr (std::is_enum_v<T>) return ValueKind::choice;
  if constexpr (std::is_same_v<T, std::string>) return ValueKind::string;
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return ValueKind::strings;
  return ValueKind::other;
}

// A key stored in the field Study.*Path...: read, checked and written by type (where the
// type has a reader and a writer; the irregular keys add theirs).
template <auto... Path>
constexpr Access field() {
  using F = FieldAt<Path...>;
  using T = typename F::T;
  Access a;
  if constexpr (Readable<T>) a.read = &F::read;
  if constexpr (Writable<T>) a.write = &F::write;
  a.at_default = &F::at_default;
  a.kind = kind_of<T>();
  a.type = type_name<T>();
  if constexpr (std::is_enum_v<T>) a.names = &enum_names<T>;
  return a;
}

// ---------------------------------------------------------------- the irregular keys

// model.n_plus: an integer up to n or "random"; the default follows n.
void read_n_plus(const Reader& r, const KeySpec& k, Study& s) {
  ModelParams& m = s.model;
  const toml::node* node = r.get(k.section, k.key);
  if (!node) {
    m.n_plus = m.n / 2;
  } else if (auto* str = node->as_string(); str && str->get() == "random") {
    m.n_plus.reset();
  } else if (auto* i = node->as_integer()) {
    if (!(i->get() >= 0 && i->get() <= m.n))
      r.fail(k.section, k.key, node, fmt::format("must satisfy 0 <= n_plus <= n = {}", m.n));
    m.n_plus = static_cast<long>(i->get());
  } else {
    r.fail(k.section, k.key, node, "expected an integer or \"random\"");
  }
}
std::string write_n_plus(const Study& s) {
  return s.model.n_plus ? std::to_string(*s.model.n_plus) : quote("random");
}

// model.beta: a number > 0 or "inf".
void read_beta(const Reader& r, const KeySpec& k, Study& s) {
  const toml::node* node = r.get(k.section, k.key);
  if (!node) return;
  if (auto* str = node->as_string(); str && str->get() == "inf") {
    s.model.beta = kInf;
  } else if (auto d = Reader::as_number(*node)) {
    if (!(*d > 0)) r.fail(k.section, k.key, node, "must be a number > 0 or \"inf\"");
    s.model.beta = *d;
  } else {
    r.fail(k.section, k.key, node, "expected a number > 0 or \"inf\"");
  }
}
std::string write_beta(const Study& s) {
  return s.model.noiseless() ? quote("inf") : format_double(s.model.beta);
}

// initial.k: two integers.
void read_k(const Reader& r, const KeySpec& k, Study& s) {
  const toml::node* node = r.get(k.section, k.key);
  if (!node) return;
  const auto* a = node->as_array();
  const toml::value<int64_t>* k1 = nullptr;
  const toml::value<int64_t>* k2 = nullptr;
  if (a && a->size() == 2) {
    k1 = a->get(0)->as_integer();
    k2 = a->get(1)->as_integer();
  }
  if (!k1 || !k2) r.fail(k.section, k.key, node, "expected two integers [k1, k2]");
  constexpr long long kmax = 1 << 20;
  if (std::llabs(k1->get()) > kmax || std::llabs(k2->get()) > kmax)
    r.fail(k.section, k.key, node, fmt::format("components must satisfy |k| <= {}", kmax));
  s.initial.k = {static_cast<int>(k1->get()), static_cast<int>(k2->get())};
}

// run.replicas: an integer >= 1 or "auto", kept as text for the ensemble layer.
void read_replicas(const Reader& r, const KeySpec& k, Study& s) {
  const toml::node* node = r.get(k.section, k.key);
  if (!node) return;
  if (auto* str = node->as_string(); str && str->get() == "auto") {
    s.run.replicas = "auto";
  } else if (auto* i = node->as_integer()) {
    if (i->get() < 1) r.fail(k.section, k.key, node, "must be an integer >= 1 or \"auto\"");
    s.run.replicas = std::to_string(i->get());
  } else {
    r.fail(k.section, k.key, node, "expected an integer >= 1 or \"auto\"");
  }
}
std::string write_replicas(const Study& s) {
  const std::string& n = s.run.replicas;
  const bool numeric =
      !n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
  return numeric ? n : quote(n);
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

// run.walltime: seconds (the table's range) or a Slurm time.
void read_walltime(const Reader& r, const KeySpec& k, Study& s) {
  const toml::node* node = r.get(k.section, k.key);
  if (!node) return;
  if (const auto* text = node->as_string()) {
    const auto seconds = parse_walltime(text->get());
    if (!seconds)
      r.fail(k.section, k.key, node, "expected seconds > 0 or \"[D-]HH:MM:SS\" as Slurm writes it");
    s.run.walltime = *seconds;
  } else {
    s.run.walltime = *checked_number(r, k);
  }
}

// run.times: an explicit list inside [0, T]; without it, run.dt_out's reader makes one.
void read_times(const Reader& r, const KeySpec& k, Study& s) {
  const auto times = r.numbers(k.section, k.key);
  if (!times) return;
  if (r.has(k.section, "dt_out"))
    r.fail(k.section, "dt_out", r.get(k.section, "dt_out"),
           "give either run.times or run.dt_out, not both");
  const double T = s.model.T;
  const std::string rule =
      fmt::format("must be non-empty, strictly increasing and inside [0, T] = [0, {}]", num(T));
  if (times->empty()) r.fail(k.section, k.key, r.get(k.section, k.key), rule);
  for (std::size_t i = 0; i < times->size(); ++i) {
    // The first bad entry is named: long lists are written by scripts.
    const double t = (*times)[i];
    const char* what = !(t >= 0 && t <= T)               ? "is outside [0, T]"
                       : i > 0 && !(t > (*times)[i - 1]) ? "is not above the entry before it"
                                                         : nullptr;
    if (what)
      r.fail(k.section, k.key, r.get(k.section, k.key),
             fmt::format("{}; entry {} = {} {}", rule, i, num(t), what));
  }
  s.run.times = *times;
}

// run.dt_out (the table's range): output times 0, dt_out, 2 dt_out, ... and T; by
// default five equally spaced times from 0 to T.
void read_dt_out(const Reader& r, const KeySpec& k, Study& s) {
  if (r.has(k.section, "times")) return;  // read_times took them
  const double T = s.model.T;
  double dt = T / 4;
  if (const auto v = checked_number(r, k)) {
    dt = *v;
    if (T / dt > kMaxOutputTimes)
      r.fail(
          k.section, k.key, r.get(k.section, k.key),
          fmt::format("gives more than {} output times for T = {}", num(kMaxOutputTimes), num(T)));
  }
  std::vector<double>& times = s.run.times;
  times.clear();
  for (long i = 0;; ++i) {
    double t = static_cast<double>(i) * dt;
    if (t >= T * (1 - kTimesRelTol)) break;
    times.push_back(t);
  }
  times.push_back(T);
}

// sde.dt: "auto" (0) or a step up to T.
void read_sde_dt(const Reader& r, const KeySpec& k, Study& s) {
  const toml::node* node = r.get(k.section, k.key);
  if (!node) return;
  if (auto* str = node->as_string(); str && str->get() == "auto") {
    s.sde.dt = 0;
  } else if (auto d = Reader::as_number(*node); d && *d > 0 && *d <= s.model.T) {
    s.sde.dt = *d;
  } else {
    r.fail(k.section, k.key, node,
           fmt::format("must be \"auto\" or a number with 0 < dt <= T = {}", num(s.model.T)));
  }
}
std::string write_sde_dt(const Study& s) {
  return s.sde.dt > 0 ? format_double(s.sde.dt) : quote("auto");
}

// Neither a field nor written: dt_out resolves into run.times.
constexpr Access kDtOut{.read = read_dt_out, .kind = ValueKind::number, .type = "number"};

// ---------------------------------------------------------------- the key table

// Every study key, in the order to_toml writes them (and docs/study-file.md lists them).
// Hand-written readers or writers only where a key is not one value of one type checked
// on its own: model.n_plus ("random", default n/2), model.beta ("inf"), initial.k (a pair),
// run.replicas ("auto"), run.walltime (Slurm times), run.times and run.dt_out (one list,
// inside [0, T]) and sde.dt ("auto", up to T). Rules across keys (delta against the
// lattice, defaults that follow other keys, ...) are kKeyRules and the checks in resolve.
constexpr KeySpec kKeys[] = {
    // MPI counts are int: one replica's particles (and a group's blocks) stay below 2^31.
    {"model", "n", field<&Study::model, &ModelParams::n>(), between(1, kIntMax),
     "number of dislocations (SDE, RW)"},
    {"model",
     "n_plus",
     field<&Study::model, &ModelParams::n_plus>().reading(read_n_plus).writing(write_n_plus),
     kAny,
     "how many have Burgers vector b = +1; `\"random\"` draws each sign from rho0",
     {"integer or `\"random\"`", "0 <= n_plus <= n, or `\"random\"`",
      "nearest integer to `mass_plus * n` (ties down: `n/2` at the default mass)"}},
    {"model", "lattice", field<&Study::model, &ModelParams::lattice>(), at_least(4),
     "L = 1/eps, lattice points per side (RW, MFeps)"},
    {"model",
     "delta",
     field<&Study::model, &ModelParams::delta>(),
     kAny,
     "core size of the regularised potential",
     {.allowed = "eps = 1/lattice <= delta <= 0.5; <= 0.25 with `potential.kind = \"bump\"`"}},
    {"model",
     "beta",
     field<&Study::model, &ModelParams::beta>().reading(read_beta).writing(write_beta),
     kAny,
     "inverse temperature; `\"inf\"` (or the TOML float `inf`) means no noise",
     {"number or `\"inf\"`", "a number > 0 or `\"inf\"`"}},
    {"model", "T", field<&Study::model, &ModelParams::T>(), kPositive, "final time"},

    {"potential", "kind", field<&Study::kernel>(), kAny,
     "regularisation of the interaction potential (models.md, section 2)"},
    {"potential", "strength", field<&Study::potential_strength>(), kFinite,
     "multiplies V_delta in every model: 1 is the paper's model, 0 switches the interaction "
     "off (a non-interacting control), -1 exchanges attraction and repulsion"},

    {"initial", "kind", field<&Study::initial, &InitialParams::kind>(), kAny,
     "shape of the initial densities"},
    {"initial", "mass_plus", field<&Study::initial, &InitialParams::mass_plus>(),
     between(0, 1, "must satisfy 0 <= mass_plus <= 1 (total mass is 1)"), "mass of rho0+"},
    {"initial", "amplitude", field<&Study::initial, &InitialParams::amplitude>(),
     abs_at_most(1, "must satisfy |amplitude| <= 1 (non-negative density)"), "cosine: a+"},
    {"initial",
     "amplitude_minus",
     field<&Study::initial, &InitialParams::amplitude_minus>(),
     abs_at_most(1, "must satisfy |amplitude_minus| <= 1 (non-negative density)"),
     "cosine: a-",
     {.dflt = "`-amplitude`"}},
    {"initial",
     "k",
     field<&Study::initial, &InitialParams::k>().reading(read_k),
     kAny,
     "cosine: wave vector",
     {.allowed = "components with |k_i| <= 2^20"}},
    {"initial", "phase", field<&Study::initial, &InitialParams::phase>(), kFinite,
     "cosine: phase+"},
    {"initial", "phase_minus", field<&Study::initial, &InitialParams::phase_minus>(), kFinite,
     "cosine: phase-"},
    {"initial",
     "blobs_plus",
     field<&Study::initial, &InitialParams::blobs_plus>(),
     kAny,
     "blobs: the components of rho0+",
     {.allowed = "see below"}},
    {"initial",
     "blobs_minus",
     field<&Study::initial, &InitialParams::blobs_minus>(),
     kAny,
     "blobs: the components of rho0-",
     {.allowed = "see below"}},
    {"initial",
     "file",
     field<&Study::initial, &InitialParams::file>(),
     kAny,
     "file: HDF5 file with the densities",
     {.allowed = "non-empty when `kind = \"file\"`"}},

    {"run", "models", field<&Study::run, &RunParams::models>(),
     non_empty_subset("mf mfeps sde rw exact2"),
     "the models to run; `\"exact2\"`: the exact two-particle laws of RW and SDE and their "
     "distance (docs/chaos.md; needs n = 2 with fixed signs, finite beta, uniform or cosine "
     "data)"},
    {"run",
     "replicas",
     field<&Study::run, &RunParams::replicas>().reading(read_replicas).writing(write_replicas),
     kAny,
     "independent replicas per stochastic model; `\"auto\"`: batches until every metric's "
     "standard error is at most `target_stderr`",
     {"integer or `\"auto\"`", "an integer >= 1 or `\"auto\"` (which needs `target_stderr`)"}},
    {"run",
     "target_stderr",
     field<&Study::run, &RunParams::target_stderr>(),
     kPositive,
     "`\"auto\"`: the standard error to reach",
     {.dflt = "none"},
     true},
    {"run", "max_replicas", field<&Study::run, &RunParams::max_replicas>(), at_least(1),
     "`\"auto\"`: never more replicas than this"},
    {"run", "batch", field<&Study::run, &RunParams::batch>(), between(1, 1000000),
     "`\"auto\"`: the stopping rule is checked after every batch"},
    // Not part of a checkpoint's identity (docs/hpc.md).
    {"run",
     "walltime",
     field<&Study::run, &RunParams::walltime>().reading(read_walltime),
     kPositive,
     "budget: stop in time to write a checkpoint (exit 3), continue with `--resume` "
     "(docs/hpc.md)",
     {"number or string", "seconds > 0, or `\"[D-]HH:MM:SS\"`, `\"MM:SS\"` as Slurm writes them",
      "none"},
     true},
    {"run", "stop_after", field<&Study::run, &RunParams::stop_after>(), at_least(0),
     "stop (checkpoint, exit 3, continue with `--resume`) once an ensemble took this many "
     "replicas in this run (0: never): a long run in goes of known size (docs/hpc.md)"},
    {"run",
     "checkpoint_every",
     field<&Study::run, &RunParams::checkpoint_every>(),
     kNonNegative,
     "seconds between the checkpoints an ensemble writes while it runs, without stopping "
     "(0: none); a run killed without warning continues from the last one with `--resume` "
     "(docs/hpc.md)",
     {},
     true},
    // A layout choice: results and checkpoints do not depend on it.
    {"run",
     "ranks_per_replica",
     field<&Study::run, &RunParams::ranks_per_replica>(),
     between(1, 1000000, "must be an integer in [1, 1000000] that divides the number of MPI ranks"),
     "ranks sharing one SDE replica: its particles and particle mesh are split over them "
     "(docs/scaling.md); the results are the same bits for every value, and a checkpoint "
     "resumes with any. RW replicas always run one per rank",
     {},
     true},
    {"run", "seed", field<&Study::run, &RunParams::seed>(), at_least(0),
     "results are a function of (study, seed) only"},
    {"run",
     "times",
     field<&Study::run, &RunParams::times>().reading(read_times),
     kAny,
     "output times",
     {.allowed = "non-empty, strictly increasing, inside [0, T]",
      .dflt = "`[0, T/4, T/2, 3T/4, T]`"}},
    {"run",
     "dt_out",
     kDtOut,
     kPositive,
     "output times 0, dt_out, 2 dt_out, ..., and T",
     {.allowed = "a finite number > 0, at most 10^6 output times", .dflt = "none"}},
    {"run", "output", field<&Study::run, &RunParams::output>(), kNonEmpty,
     "output file (`dislo run -o` overrides)"},
    {"run", "overwrite", field<&Study::run, &RunParams::overwrite>(), kAny,
     "an existing output file may be replaced (otherwise dislo run refuses before any work; "
     "`dislo run --overwrite` too)"},
    {"run", "strict", field<&Study::run, &RunParams::strict>(), kAny,
     "warnings (settings no model uses, regimes the theorems do not cover) are errors: exit 2 "
     "before any work (`dislo --strict` too), for batch jobs; PETSc options that nothing read "
     "make the finished run exit 2"},

    {"metrics", "kinds", field<&Study::metrics, &MetricsParams::kinds>(), subset("bl w1 hs"),
     "distances between each replica's empirical measure and the mean-field solution, per "
     "sign (models.md, section 5)"},
    {"metrics", "method", field<&Study::metrics, &MetricsParams::method>(),
     one_of("grid certified"),
     "w1 and bl: \"grid\" (values on the metrics.grid nodes, each with the certified bracket "
     "of its error) or \"certified\" (semi-discrete brackets of the exact distances, within "
     "metrics.tolerance; seconds per replica at n ~ 1000, docs/certified.md)"},
    {"metrics", "tolerance", field<&Study::metrics, &MetricsParams::tolerance>(),
     between(1e-3, 0.5), "method = \"certified\": the w1 brackets' target relative width"},
    {"metrics", "grid", field<&Study::metrics, &MetricsParams::grid>(), between(8, 1024),
     "H: node grid of w1 and bl (error <= sqrt(2)/H + the stencil's distortion, "
     "docs/ensembles.md)"},
    {"metrics", "stencil", field<&Study::metrics, &MetricsParams::stencil>(), one_of("8 16 32"),
     "neighbours per node of the transport graph: distances within 4.0%, 1.36%, 0.65% of the "
     "torus distance; 32 costs about 1.4x the time of 16"},
    {"metrics", "hs_order", field<&Study::metrics, &MetricsParams::hs_order>(),
     above_up_to(1, 10, "must be a number with 1 < s <= 10"), "s of the H^-s norm"},
    {"metrics", "hs_modes", field<&Study::metrics, &MetricsParams::hs_modes>(), between(1, 256),
     "Fourier modes |k|_inf <= K of the H^-s norm"},
    {"metrics",
     "law_bins",
     field<&Study::metrics, &MetricsParams::law_bins>(),
     between(1, 4096),
     "cells per side of the SDE one-particle histograms",
     {.allowed = "an integer in [1, 4096], <= mf.M when run.models has `\"sde\"`",
      .dflt = "min(64, mf.M)"}},
    {"metrics", "pair_bins", field<&Study::metrics, &MetricsParams::pair_bins>(),
     between(1, 100000), "bins of the pair-distance densities on [0, sqrt(2)/2]"},
    {"metrics", "rw_against_mf", field<&Study::metrics, &MetricsParams::rw_against_mf>(), kAny,
     "also compare each RW replica with MF (Corollary 1.8), written to `/rw/metrics_mf`; MF is "
     "then solved too"},

    {"mf", "M", field<&Study::mf, &MfParams::M>(),
     even_between(8, 1 << 20, "must be an even integer with 8 <= M <= 1048576"),
     "pseudo-spectral grid points per side"},
    {"mf", "rtol", field<&Study::mf, &MfParams::rtol>(), kPositive,
     "relative tolerance of the time stepper (PETSc `-ts_rtol` overrides)"},
    {"mf", "atol", field<&Study::mf, &MfParams::atol>(), kPositive, "absolute tolerance"},
    {"mf", "ts_type", field<&Study::mf, &MfParams::ts_type>(), kNonEmpty,
     "PETSc TS type (`-ts_type` overrides)"},
    {"mf",
     "hyperviscosity",
     field<&Study::mf, &MfParams::hyperviscosity>(),
     kNonNegative,
     "damping rate at the de-aliasing cutoff",
     {.dflt = "0.0, or 10.0 when `beta = \"inf\"`"}},

    {"mfeps", "rtol", field<&Study::mfeps, &MfepsParams::rtol>(), kPositive,
     "relative tolerance of the time stepper"},
    {"mfeps", "atol", field<&Study::mfeps, &MfepsParams::atol>(), kPositive, "absolute tolerance"},
    {"mfeps", "ts_type", field<&Study::mfeps, &MfepsParams::ts_type>(), kNonEmpty, "PETSc TS type"},

    {"sde",
     "dt",
     field<&Study::sde, &SdeParams::dt>().reading(read_sde_dt).writing(write_sde_dt),
     kAny,
     "Euler-Maruyama step; auto = min(beta delta^2/32, delta/(8 max|grad V|), T)",
     {"number or `\"auto\"`", "`\"auto\"` or 0 < dt <= T"}},
    {"sde", "force", field<&Study::sde, &SdeParams::force>(), one_of("auto direct pm"),
     "force method; auto picks the cheaper at the requested accuracy"},
    {"sde", "pm_tolerance", field<&Study::sde, &SdeParams::pm_tolerance>(), between(1e-12, 0.1),
     "relative RMS force error the particle mesh must meet"},
    {"sde", "noise_refinement", field<&Study::sde, &SdeParams::noise_refinement>(), between(0, 16),
     "each increment summed from 2^r finer normals (runs at dt, r and dt/2, r-1 share paths)"},
    {"sde", "ode_rtol", field<&Study::sde, &SdeParams::ode_rtol>(), kPositive,
     "beta = inf: relative tolerance of the RK5(4) integrator"},
    {"sde", "ode_atol", field<&Study::sde, &SdeParams::ode_atol>(), kPositive,
     "beta = inf: absolute tolerance"},

    {"rw", "algorithm", field<&Study::rw, &RwParams::algorithm>(), one_of("veto reference"),
     "exact O(1)-per-event thinning with partner vetoes, or the O(n) direct method"},

    {"chaos", "coupling", field<&Study::chaos, &ChaosParams::coupling>(), kAny,
     "simulate, beside each replica X, the mean-field-driven process Xbar with shared noise and "
     "write /sde/chaos, /rw/chaos"},
    {"chaos", "frames", field<&Study::chaos, &ChaosParams::frames>(), between(1, 100000),
     "snapshots of the mean-field force over [0, T] driving Xbar (SDE: linear in time between "
     "them; RW: each interval's mean)"},
    {"chaos", "thinning_max_n", field<&Study::chaos, &ChaosParams::thinning_max_n>(), at_least(0),
     "run the RW thinning coupling (O(n) per event) only for n up to this; larger n write NaN "
     "there (the veto coupling, O(1) per event, always runs)"},
    {"chaos", "time_change_max_n", field<&Study::chaos, &ChaosParams::time_change_max_n>(),
     at_least(0),
     "run the RW time-change coupling (O(n) per event) only for n up to this; larger n write "
     "NaN there"},
};

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
constexpr const char* kSweepModeDoc =
    "`\"product\"` (default: every combination, in the key order above with the last varying "
    "fastest) or `\"zip\"` (the i-th values together; equal lengths)";

const KeySpec* find_key(std::string_view section, std::string_view key) {
  for (const KeySpec& k : kKeys)
    if (section == k.section && key == k.key) return &k;
  return nullptr;
}

// The sections in table order, then [sweep].
const std::vector<SectionSchema>& schema() {
  static const std::vector<SectionSchema> s = [] {
    std::vector<SectionSchema> out;
    for (const KeySpec& k : kKeys) {
      if (out.empty() || out.back().name != k.section) out.push_back({k.section, {}});
      out.back().keys.push_back(k.key);
    }
    SectionSchema sweep{"sweep", {}};
    for (const SweepKey& k : kSweepKeys) sweep.keys.push_back(k.name);
    sweep.keys.push_back("mode");
    out.push_back(sweep);
    return out;
  }();
  return s;
}

// ---------------------------------------------------------------- rules across keys

// The core size against the lattice (also when delta is the default).
void check_delta(const Reader& r, Study& s) {
  const ModelParams& m = s.model;
  if (m.eps() <= m.delta && m.delta <= 0.5) return;
  r.fail_value("model", "delta", m.delta,
               fmt::format("must satisfy eps = 1/lattice = {} <= delta <= 0.5", num(m.eps())));
}

// The bump table's exact radial correction needs the core inside a quarter cell.
void check_bump_core(const Reader& r, Study& s) {
  if (s.kernel == KernelKind::bump && s.model.delta > 0.25)
    r.fail_value("model", "delta", s.model.delta, "potential.kind = \"bump\" needs delta <= 0.25");
}

// Without its own value amplitude_minus follows amplitude (opposite phase).
// model.n_plus follows initial.mass_plus unless set: the nearest integer to mass_plus n,
// ties down (n/2 at the default mass). Set explicitly, it is kept; a difference of more
// than one dislocation from mass_plus n is the mass discrepancy kappa of the theorems.
void resolve_n_plus(const Reader& r, Study& s) {
  ModelParams& m = s.model;
  if (!r.has("model", "n_plus"))
    m.n_plus = std::lround(std::ceil(s.initial.mass_plus * double(m.n) - 0.5));
}

void resolve_amplitude_minus(const Reader& r, Study& s) {
  if (!r.has("initial", "amplitude_minus")) s.initial.amplitude_minus = -s.initial.amplitude;
}

void check_blobs(const Reader& r, Study& s) {
  const InitialParams& in = s.initial;
  if (in.kind != InitialKind::blobs) return;
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

void check_file(const Reader& r, Study& s) {
  if (s.initial.kind == InitialKind::file && s.initial.file.empty())
    r.fail("initial", "file", r.get("initial", "file"),
           "kind = \"file\" needs a non-empty path to an HDF5 file");
}

void check_replicas(const Reader& r, Study& s) {
  if (s.run.replicas == "auto" && !(s.run.target_stderr > 0))
    r.fail("run", "replicas", r.get("run", "replicas"),
           "\"auto\" needs run.target_stderr > 0 (the standard error to reach)");
}

// Without noise nothing damps the de-aliasing cutoff: the default follows beta.
void resolve_hyperviscosity(const Reader& r, Study& s) {
  if (!r.has("mf", "hyperviscosity") && s.model.noiseless()) s.mf.hyperviscosity = 10;
}

void check_chaos(const Reader& r, Study& s) {
  if (s.chaos.coupling && s.model.noiseless())
    r.fail("chaos", "coupling", r.get("chaos", "coupling"),
           "the couplings share the noise: model.beta must be finite");
  if (s.chaos.coupling && !(s.run.has_model("sde") || s.run.has_model("rw")))
    r.fail("chaos", "coupling", r.get("chaos", "coupling"),
           "couples particle models: run.models needs \"sde\" or \"rw\"");
}

// Rules across keys, each run as soon as the keys it needs are read (so that a study with
// several errors is told the first the reading order meets).
struct KeyRule {
  const char* section;
  const char* after;  // the key
  void (*apply)(const Reader&, Study&);
};
constexpr KeyRule kKeyRules[] = {
    {"model", "delta", check_delta},
    {"potential", "kind", check_bump_core},
    {"initial", "mass_plus", resolve_n_plus},
    {"initial", "amplitude_minus", resolve_amplitude_minus},
    {"initial", "blobs_minus", check_blobs},
    {"initial", "file", check_file},
    {"run", "ranks_per_replica", check_replicas},
    {"mf", "hyperviscosity", resolve_hyperviscosity},
    {"chaos", "time_change_max_n", check_chaos},
};

// exact2: the two-particle laws (exact2.hpp) exist for these studies only.
void check_exact2(const Reader& r, const Study& s) {
  if (!s.run.has_model("exact2")) return;
  const ModelParams& m = s.model;
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
void check_particle_signs(const Reader& r, const Study& s) {
  const ModelParams& m = s.model;
  const bool particles = s.run.has_model("sde") || s.run.has_model("rw");
  if (particles && m.n_plus &&
      ((*m.n_plus > 0 && s.initial.mass_plus <= 0) ||
       (*m.n_plus < m.n && s.initial.mass_minus() <= 0)))
    r.fail("model", "n_plus", r.get("model", "n_plus"),
           fmt::format("a sign with particles needs positive initial mass (initial.mass_plus = {})",
                       num(s.initial.mass_plus)));
}

// The SDE law is compared with MF cell averages: every cell needs an MF node (the
// default follows mf.M down).
void resolve_law_bins(const Reader& r, Study& s) {
  if (!r.has("metrics", "law_bins")) s.metrics.law_bins = std::min(s.metrics.law_bins, s.mf.M);
  if (s.run.has_model("sde") && s.metrics.law_bins > s.mf.M)
    r.fail_value("metrics", "law_bins", s.metrics.law_bins,
                 fmt::format("must be <= mf.M = {} when run.models has \"sde\"", s.mf.M));
}

void add_warnings(Study& s) {
  const ModelParams& m = s.model;
  if (s.chaos.coupling && s.run.has_model("rw")) {
    // The thinning and time-change couplings keep X's forces exact: O(n) work per event,
    // 4n/(beta eps^2) events per unit time for X and as many for Xbar.
    const double n = double(m.n), events = 8 * n * m.T / (m.beta * m.eps() * m.eps());
    const int exact = (m.n <= s.chaos.thinning_max_n) + (m.n <= s.chaos.time_change_max_n);
    const double updates = events * n * exact;
    if (updates > kCouplingWarnUpdates)
      s.warnings.push_back(fmt::format(
          "{}: chaos.coupling with \"rw\": the thinning and time-change couplings cost O(n) "
          "per event, about {:.1e} pair updates per replica (docs/chaos.md); "
          "chaos.thinning_max_n and chaos.time_change_max_n below n = {} leave the veto "
          "coupling alone, O(1) per event",
          s.source, updates, m.n));
  }
  // eps is the random walk's and MFeps's lattice spacing: elsewhere Assumption 2 says
  // nothing about the study.
  const bool lattice_models =
      s.run.has_model("rw") || s.run.has_model("mfeps") || s.run.has_model("exact2");
  const double ratio = m.delta / m.eps();
  if (lattice_models && m.beta > ratio)
    s.warnings.push_back(fmt::format(
        "{}: outside Assumption 2 of the paper: beta = {} > delta/eps = {}: the lattice is "
        "too coarse for this core size and temperature, so Theorems 1.3-1.7 do not bound the "
        "distance of RW and MFeps to the continuum here (docs/numerics.md)",
        s.source, m.noiseless() ? "inf" : num(m.beta), num(ratio)));
}

// Which models read a section or key, for the warning when none of them runs.
constexpr const char* kEnsembleModels = "\"sde\" or \"rw\"";
constexpr const char* kParticleModels = "\"sde\", \"rw\" or \"exact2\"";

// Sections with keys set that no model running reads.
void add_unused_section_warnings(const Reader& r, Study& s) {
  const RunParams& run = s.run;
  const bool sde = run.has_model("sde"), rw = run.has_model("rw"), ensembles = sde || rw;
  struct Use {
    const char* section;
    bool used;
    const char* models;
  };
  const Use sections[] = {
      {"sde", sde, "\"sde\""},
      {"rw", rw, "\"rw\""},
      {"mf", s.needs_mf(), "\"mf\", \"sde\" or \"rw\" with metrics.rw_against_mf"},
      {"mfeps", s.needs_mfeps(), "\"mfeps\" or \"rw\""},
      {"metrics", ensembles, kEnsembleModels},
      {"chaos", ensembles, kEnsembleModels}};
  for (const Use& u : sections)
    if (!u.used && !r.keys_set(u.section).empty())
      s.warnings.push_back(fmt::format("{}: [{}] is set ({}) but run.models has no {}: unused",
                                       s.source, u.section, join(r.keys_set(u.section)), u.models));
}

// Single keys of shared sections that no model running reads.
void add_unused_key_warnings(const Reader& r, Study& s) {
  const RunParams& run = s.run;
  const bool sde = run.has_model("sde"), rw = run.has_model("rw"), ensembles = sde || rw;
  const bool particles = ensembles || run.has_model("exact2");
  struct KeyUse {
    const char* section;
    const char* key;
    bool used;
    const char* models;
  };
  const KeyUse keys[] = {
      {"run", "replicas", ensembles, kEnsembleModels},
      {"run", "target_stderr", ensembles, kEnsembleModels},
      {"run", "max_replicas", ensembles, kEnsembleModels},
      {"run", "batch", ensembles, kEnsembleModels},
      {"run", "stop_after", ensembles, kEnsembleModels},
      {"run", "checkpoint_every", ensembles, kEnsembleModels},
      {"run", "ranks_per_replica", sde, "\"sde\""},
      {"model", "n", particles, kParticleModels},
      {"model", "n_plus", particles, kParticleModels},
      {"model", "lattice", rw || run.has_model("mfeps") || run.has_model("exact2"),
       "\"rw\", \"mfeps\" or \"exact2\""}};
  for (const KeyUse& k : keys)
    if (!k.used && r.has(k.section, k.key))
      s.warnings.push_back(fmt::format("{}: {}.{} is set but run.models has no {}: unused",
                                       s.source, k.section, k.key, k.models));
}

// n_plus set explicitly against mass_plus: the signs' fractions and the densities' masses
// differ by kappa (models.md), which the theorems' right-hand sides then carry.
void add_sign_fraction_warning(const Reader& r, Study& s) {
  const ModelParams& m = s.model;
  const bool ensembles = s.run.has_model("sde") || s.run.has_model("rw");
  const double target = s.initial.mass_plus * double(m.n);
  if (ensembles && r.has("model", "n_plus") && m.n_plus && std::abs(*m.n_plus - target) > 1)
    s.warnings.push_back(fmt::format(
        "{}: model.n_plus = {} with model.n = {} and initial.mass_plus = {}: the signs' "
        "fractions differ from the densities' masses by kappa = {} (leave n_plus unset to "
        "follow mass_plus)",
        s.source, *m.n_plus, m.n, num(s.initial.mass_plus),
        num(std::abs(double(*m.n_plus) / double(m.n) - s.initial.mass_plus))));
}

// Settings that no model of the run reads: one warning per section, or per key for the
// sections that other models share (issue 21: nothing is silently ignored).
void add_unused_warnings(const Reader& r, Study& s) {
  add_unused_section_warnings(r, s);
  add_unused_key_warnings(r, s);
  add_sign_fraction_warning(r, s);
}

// ---------------------------------------------------------------- resolution

Study resolve(const Reader& r) {
  r.check_structure();
  Study s;
  s.source = r.source();
  for (const KeySpec& k : kKeys) {
    if (k.access.read) k.access.read(r, k, s);
    for (const KeyRule& rule : kKeyRules)
      if (std::string_view(k.section) == rule.section && std::string_view(k.key) == rule.after)
        rule.apply(r, s);
  }
  check_exact2(r, s);
  check_particle_signs(r, s);
  resolve_law_bins(r, s);
  add_warnings(s);
  add_unused_warnings(r, s);
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

// ---------------------------------------------------------------- [sweep]

using Labels = std::map<std::string, std::string>;

// A [sweep] as read: the swept keys in sweep order with their values, and how many points.
struct SweepPlan {
  struct Axis {
    const SweepKey* key;
    const toml::array* values;
  };
  bool zip = false;
  std::vector<Axis> axes;
  long points = 1;
};

// How a [sweep] key is named in messages.
std::string sweep_label(const Labels& labels, std::string_view key) {
  const std::string loc = fmt::format("sweep.{}", key);
  return labels.count(loc) ? "--set " + loc : loc;
}

SweepPlan plan_sweep(const toml::table& sweep, const std::string& source, const Labels& labels) {
  SweepPlan plan;
  if (const auto* m = sweep.get("mode")) {
    const auto* text = m->as_string();
    if (!text || (text->get() != "product" && text->get() != "zip"))
      throw InputError(fmt::format("{}: {} = {}: must be \"product\" or \"zip\"", source,
                                   sweep_label(labels, "mode"), render(*m)));
    plan.zip = text->get() == "zip";
  }
  std::vector<std::string> names;
  for (const auto& k : kSweepKeys) {
    names.emplace_back(k.name);
    const auto* node = sweep.get(k.name);
    if (!node) continue;
    const auto* values = node->as_array();
    if (!values || values->empty())
      throw InputError(fmt::format("{}: {} = {}: expected a non-empty array of values of {}.{}",
                                   source, sweep_label(labels, k.name), render(*node), k.section,
                                   k.key));
    plan.axes.push_back({&k, values});
  }
  if (plan.axes.empty())
    throw InputError(
        fmt::format("{}: [sweep]: no values to sweep (keys: {})", source, join(names)));
  if (plan.zip) plan.points = long(plan.axes[0].values->size());
  for (const auto& a : plan.axes) {
    const long size = long(a.values->size());
    if (plan.zip && size != plan.points)
      throw InputError(fmt::format(
          "{}: {} has {} values but sweep.{} has {}: zipped lists need equal lengths", source,
          sweep_label(labels, a.key->name), size, plan.axes[0].key->name, plan.points));
    if (!plan.zip) {
      if (plan.points > kMaxSweepPoints / size)
        throw InputError(fmt::format("{}: [sweep]: more than {} points", source, kMaxSweepPoints));
      plan.points *= size;
    }
  }
  return plan;
}

// Point p: the file without [sweep], each swept key set to the point's value, resolved as
// a study of its own.
Study sweep_point(const toml::table& root, const SweepPlan& plan, long p, const std::string& source,
                  const Labels& labels) {
  toml::table point = root;
  point.erase("sweep");
  auto point_labels = labels;
  std::string values_text;
  long rest = p;
  std::vector<std::size_t> chosen(plan.axes.size());
  for (std::size_t a = plan.axes.size(); a-- > 0;) {
    const auto size = long(plan.axes[a].values->size());
    chosen[a] = std::size_t(plan.zip ? p : rest % size);
    rest /= plan.zip ? 1 : size;
  }
  for (std::size_t a = 0; a < plan.axes.size(); ++a) {
    const SweepKey& k = *plan.axes[a].key;
    const toml::node& value = *plan.axes[a].values->get(chosen[a]);
    if (!point.contains(k.section)) point.insert(k.section, toml::table{});
    auto* section = point.get(k.section)->as_table();
    if (!section)
      throw InputError(fmt::format("{}: {}: expected a table [{}]", source, k.section, k.section));
    value.visit([&](auto&& v) { section->insert_or_assign(k.key, v); });
    point_labels[fmt::format("{}.{}", k.section, k.key)] =
        fmt::format("{}[{}]", sweep_label(labels, k.name), chosen[a]);
    values_text += fmt::format("{}{} = {}", values_text.empty() ? "" : ", ", k.name, render(value));
  }
  try {
    Study s = resolve(Reader(source, point, std::move(point_labels)));
    s.sweep.index = p;
    s.sweep.points = plan.points;
    for (const auto& a : plan.axes) s.sweep.keys.emplace_back(a.key->name);
    s.sweep.table = s.run.output;
    s.run.output = sweep_point_output(s.run.output, p, plan.points);
    return s;
  } catch (const InputError& e) {
    throw InputError(
        fmt::format("{} (sweep point {} of {}: {})", e.what(), p, plan.points, values_text));
  }
}

// ---------------------------------------------------------------- the docs' tables

std::string md_cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string allowed_of(const KeySpec& k) {
  if (k.doc.allowed) return k.doc.allowed;
  if (k.access.kind == ValueKind::boolean) return "true or false";
  const std::string rule = rule_of(k);
  for (std::string_view prefix : {"must be ", "must satisfy "})
    if (rule.starts_with(prefix)) return rule.substr(prefix.size());
  return rule;
}

// From the Study's own defaults, written as to_toml writes them.
std::string default_of(const KeySpec& k) {
  if (k.doc.dflt) return k.doc.dflt;
  if (!k.access.write) return "none";
  std::string v = k.access.write(default_study());
  for (std::string_view e : {"e-0", "e+0"})  // 1e-06 -> 1e-6
    if (const auto at = v.find(e); at != std::string::npos && at + 3 < v.size()) v.erase(at + 2, 1);
  const bool number = !v.empty() && ((v[0] >= '0' && v[0] <= '9') || v[0] == '-');
  return number ? v : "`" + v + "`";
}

std::string keys_table(std::string_view section) {
  std::string out = "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const KeySpec& k : kKeys)
    if (section == k.section)
      out += fmt::format("| `{}` | {} | {} | {} | {} |\n", k.key,
                         md_cell(k.doc.type ? k.doc.type : k.access.type), md_cell(default_of(k)),
                         md_cell(allowed_of(k)), md_cell(k.meaning));
  return out;
}

std::string sweep_table() {
  std::string out = "| key | sets | each value |\n|---|---|---|\n";
  for (const SweepKey& s : kSweepKeys)
    out += fmt::format("| `{}` | `{}.{}` | {} |\n", s.name, s.section, s.key,
                       md_cell(allowed_of(*find_key(s.section, s.key))));
  return out + fmt::format("| `mode` | | {} |\n", md_cell(kSweepModeDoc));
}

// TOML values just outside a key's range (tests: each is rejected with the rule).
std::vector<std::string> out_of_range(const KeySpec& k) {
  const Range& g = k.range;
  const ValueKind kind = k.access.kind;
  if (kind == ValueKind::choice) return {quote("none")};
  const auto integer = [](double x) { return fmt::format("{}", static_cast<long long>(x)); };
  const auto below = [](double lo) { return format_double(lo > 0 ? lo / 2 : lo - 1); };
  const auto above = [](double hi) { return format_double(hi > 0 ? hi * 2 : hi + 1); };
  const auto options = words(g.options);
  switch (g.check) {
    case Check::between:
      if (kind == ValueKind::integer) return {integer(g.lo - 1), integer(g.hi + 1)};
      return {below(g.lo), above(g.hi)};
    case Check::even_between:
      return {integer(g.lo - 1), integer(g.lo + 1), integer(g.hi + 1)};
    case Check::above_up_to:
      return {format_double(g.lo), above(g.hi)};
    case Check::at_least:
      return {integer(g.lo - 1)};
    case Check::positive:
      return {"0.0", "-1.0", "inf"};
    case Check::non_negative:
      return {"-1.0", "inf"};
    case Check::finite:
      return {"inf", "-inf", "nan"};
    case Check::abs_at_most:
      return {above(g.hi), "-" + above(g.hi)};
    case Check::one_of:
      if (kind == ValueKind::integer)
        return {integer(std::stod(options.front()) - 1), integer(std::stod(options.back()) + 1)};
      return {quote("none")};
    case Check::non_empty:
      return {quote("")};
    case Check::subset:
    case Check::non_empty_subset: {
      std::vector<std::string> out{"[" + quote("none") + "]",
                                   "[" + quote(options[0]) + ", " + quote(options[0]) + "]"};
      if (g.check == Check::non_empty_subset) out.push_back("[]");
      return out;
    }
    default:
      return {};
  }
}

}  // namespace

// ---------------------------------------------------------------- the interface

Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides) {
  Labels labels;
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
  Labels labels;
  const toml::table root = parse_root(toml_text, source_name, overrides, labels);
  Reader(source_name, root, labels).check_structure();
  const auto* sweep = root.get_as<toml::table>("sweep");
  if (!sweep) return {resolve(Reader(source_name, root, std::move(labels)))};
  const SweepPlan plan = plan_sweep(*sweep, source_name, labels);
  std::vector<Study> studies;
  for (long p = 0; p < plan.points; ++p)
    studies.push_back(sweep_point(root, plan, p, source_name, labels));
  return studies;
}

std::vector<Study> load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_sweep("", "<default>", overrides);
  return parse_sweep(read_study_file(path), path, overrides);
}

std::string to_toml(const Study& s) {
  std::string o;
  std::string_view section;
  for (const KeySpec& k : kKeys) {
    if (!k.access.write || (k.omit_at_default && k.access.at_default(s))) continue;
    if (section != k.section) {
      o += fmt::format("{}[{}]\n", section.empty() ? "" : "\n", k.section);
      section = k.section;
    }
    o += fmt::format("{} = {}\n", k.key, k.access.write(s));
  }
  if (s.sweep.index < 0) return o;
  return fmt::format("# sweep point {} of {} (0-based; swept: {})\n", s.sweep.index, s.sweep.points,
                     join(s.sweep.keys)) +
         o;
}

std::vector<StudyKey> study_keys() {
  std::vector<StudyKey> out;
  for (const KeySpec& k : kKeys)
    out.push_back({k.section, k.key, k.doc.type ? k.doc.type : k.access.type, default_of(k),
                   allowed_of(k), k.meaning, rule_of(k), out_of_range(k),
                   k.access.write != nullptr});
  return out;
}

std::string study_keys_markdown(const std::string& section) {
  if (section == "sweep") return sweep_table();
  if (!find_section(section)) throw std::invalid_argument("no study section [" + section + "]");
  return keys_table(section);
}

std::string with_study_key_tables(const std::string& markdown) {
  constexpr std::string_view begin = "<!-- keys:begin ", end = "<!-- keys:end -->";
  std::istringstream in(markdown);
  std::string out, open;
  for (std::string line; std::getline(in, line);) {
    if (!open.empty() && line != end) continue;  // the old table
    out += line + "\n";
    if (!open.empty()) {
      open.clear();
    } else if (line.starts_with(begin) && line.ends_with(" -->")) {
      open = line.substr(begin.size(), line.size() - begin.size() - 4);
      out += study_keys_markdown(open);
    }
  }
  if (!open.empty()) throw std::invalid_argument("no " + std::string(end) + " after " + open);
  if (!markdown.empty() && markdown.back() != '\n') out.pop_back();
  return out;
}

}  // namespace dislo
