#pragma once
// The study file: the study (dislo/study.hpp) parsed from TOML, validated, resolved and
// written back. This is the only module that knows TOML.

#include <string>
#include <string_view>
#include <vector>

#include "dislo/study.hpp"

namespace dislo {

// The built-in study: what `dislo run` runs without a study file (examples/default.toml,
// compiled in; a sweep). Its source name in messages is kBuiltinStudyName.
std::string_view builtin_study_text();
inline constexpr const char* kBuiltinStudyName = "<built-in study, examples/default.toml>";

// Parses and validates. path empty = the key defaults (docs/study-file.md). Each override is
// "section.key=value" with the value in TOML syntax (strings may omit quotes).
// Throws InputError naming file, key, value and the allowed range.
Study load_study(const std::string& path, const std::vector<std::string>& overrides = {});
Study parse_study(const std::string& toml_text, const std::string& source_name,
                  const std::vector<std::string>& overrides = {});

// Every point of the study's [sweep] (docs/study-file.md), each resolved and validated
// as a study of its own with run.output = sweep_point_output(base output, index, points);
// a study without [sweep] gives itself alone (sweep.index = -1). Errors in a point name
// the point and its values.
std::vector<Study> load_sweep(const std::string& path,
                              const std::vector<std::string>& overrides = {});
std::vector<Study> parse_sweep(const std::string& toml_text, const std::string& source_name,
                               const std::vector<std::string>& overrides = {});
// "dir/sweep.h5", point 3 of 12 -> "dir/sweep-03.h5" (the index zero-padded to the
// width of the largest index).
std::string sweep_point_output(const std::string& output, long index, long points);

// The resolved study as TOML text (every key, defaults filled in); parse_study of it
// gives back the same study.
std::string to_toml(const Study& study);

// One study key as config.cpp's key table describes it: docs/study-file.md's key tables
// are generated from these, and the tests check the table against the parser.
struct StudyKey {
  std::string section;
  std::string key;
  std::string type;           // the docs' columns
  std::string default_value;  // (Markdown)
  std::string allowed;
  std::string meaning;
  std::string rule;  // a table range check's "what is allowed" in messages; empty if none
  std::vector<std::string> out_of_range;  // TOML values that rule rejects
  bool written = false;                   // to_toml writes it (some only when not default)
};
std::vector<StudyKey> study_keys();

// The Markdown table of one section's keys; "sweep": the keys a [sweep] may vary.
std::string study_keys_markdown(const std::string& section);

// markdown with each block between "<!-- keys:begin SECTION -->" and "<!-- keys:end -->"
// lines replaced by study_keys_markdown(SECTION): how docs/study-file.md is kept current.
std::string with_study_key_tables(const std::string& markdown);

}  // namespace dislo
