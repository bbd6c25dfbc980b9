// The checkpoint file: a round trip keeps every field; a file of another study, of
// another version, corrupt, truncated or foreign is refused with InputError.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dislo/checkpoint.hpp"

using namespace dislo;
using ::testing::HasSubstr;

namespace {
Checkpoint sample() {
  Checkpoint cp;
  EnsembleState done;
  done.complete = true;
  done.done = 32;
  done.rows = {0.5, 1e-300, -2.25, 3.0};
  for (int s = 0; s < 2; ++s) {
    done.law[s] = {1, 2, 3 + s};
    done.law_sq[s] = {4, 5, 6};
    done.pairs[s] = {7, std::int64_t(1) << 40};
  }
  done.work = 123456789012ULL;
  done.seconds_simulate = 1.5;
  done.seconds_metrics = 0.25;
  EnsembleState partial = done;
  partial.complete = false;
  partial.done = 16;
  partial.partial = {17, 19, 23};
  cp["sde"] = done;
  cp["rw"] = partial;
  return cp;
}

std::string error_of(const std::string& path, const std::string& identity) {
  try {
    read_checkpoint(path, identity);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream(path, std::ios::binary).write(b.data(), std::streamsize(b.size()));
}
}  // namespace

TEST(Checkpoint, RoundTripKeepsEveryField) {
  const std::string path = "test-checkpoint-roundtrip.checkpoint";
  const Study study = parse_study("", "<t>");
  const std::string id = checkpoint_identity(study);
  write_checkpoint(path, id, sample());
  EXPECT_EQ(read_checkpoint(path, id), sample());
  // The wall-time budget is not part of the identity; the study is.
  Study later = study;
  later.run.walltime = 3600;
  EXPECT_EQ(checkpoint_identity(later), id);
  later.model.n = 999;
  EXPECT_NE(checkpoint_identity(later), id);
  std::remove(path.c_str());
}

TEST(Checkpoint, RefusesWhatItCannotUse) {
  const std::string path = "test-checkpoint-refusals.checkpoint";
  const std::string id = checkpoint_identity(parse_study("", "<t>"));
  write_checkpoint(path, id, sample());
  const std::vector<char> good = bytes_of(path);

  Study other = parse_study("", "<t>");
  other.model.beta = 2;
  EXPECT_THAT(error_of(path, checkpoint_identity(other)), HasSubstr("another study"));
  // The message names the key that differs, with both values.
  EXPECT_THAT(error_of(path, checkpoint_identity(other)),
              HasSubstr("differ in model.beta (4.0 in the checkpoint, 2.0 now)"));
  EXPECT_THAT(error_of(path, "dislo 9.9 (abc)\n" + id.substr(id.find('\n') + 1)),
              HasSubstr("written by dislo"));

  std::vector<char> flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  write_bytes(path, flipped);
  EXPECT_THAT(error_of(path, id), HasSubstr("corrupt"));

  write_bytes(path, std::vector<char>(good.begin(), good.end() - 9));
  EXPECT_THAT(error_of(path, id), HasSubstr("corrupt"));

  write_bytes(path, std::vector<char>{'n', 'o', 't', ' ', 'o', 'u', 'r', 's', 0, 0, 0, 0});
  EXPECT_THAT(error_of(path, id), HasSubstr("not a dislo checkpoint"));

  EXPECT_THAT(error_of("no-such-file.checkpoint", id), HasSubstr("cannot be read"));
  std::remove(path.c_str());
}
