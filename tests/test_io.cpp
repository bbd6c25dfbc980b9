// OutputFile and read_square_dataset (src/io.cpp): collective writes with uneven row
// splits read back exactly, attributes round-trip, atomic rename, XDMF sidecar, cleanup
// of an abandoned file, and h5py / tools/plot_densities.py reading the result.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/density_file.hpp"
#include "dislo/io.hpp"

namespace fs = std::filesystem;

namespace {

MPI_Comm world() { return MPI_COMM_WORLD; }
int rank() {
  int r = 0;
  MPI_Comm_rank(world(), &r);
  return r;
}
int nranks() {
  int n = 1;
  MPI_Comm_size(world(), &n);
  return n;
}

std::string bcast_string(std::string s) {
  unsigned long long n = s.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, world());
  s.resize(n);
  if (n > 0) MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, 0, world());
  return s;
}

bool bcast_bool(bool b) {
  int v = b ? 1 : 0;
  MPI_Bcast(&v, 1, MPI_INT, 0, world());
  return v != 0;
}

// Rows [first, first + count) of rank r: uneven, and the last rank owns none when np > 1.
void row_split(int G, int r, int np, int& first, int& count) {
  if (np == 1) {
    first = 0;
    count = G;
    return;
  }
  const int owners = np - 1;  // quadratic boundaries b_k = G k (k + 1) / (owners (owners + 1))
  auto b = [&](int k) { return G * k * (k + 1) / (owners * (owners + 1)); };
  if (r >= owners) {
    first = G;
    count = 0;
    return;
  }
  first = b(r);
  count = b(r + 1) - b(r);
}

double value(int t, int i, int j, int G) { return 1000.0 * t + G * i + j + 0.25; }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_temporaries(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  }
  return false;
}

// Writes one field [nt, G, G] of value(t, i, j) collectively, each rank its rows.
void write_field(dislo::OutputFile& out, const std::string& name, int G,
                 const std::vector<double>& times) {
  out.create_field(name, times, G);
  int first = 0, count = 0;
  row_split(G, rank(), nranks(), first, count);
  for (int t = 0; t < static_cast<int>(times.size()); ++t) {
    std::vector<double> rows(static_cast<std::size_t>(count) * G);
    for (int i = 0; i < count; ++i) {
      for (int j = 0; j < G; ++j)
        rows[static_cast<std::size_t>(i) * G + j] = value(t, first + i, j, G);
    }
    out.write_field_rows(name, t, first, count, count > 0 ? rows.data() : nullptr);
  }
}

// Plain serial HDF5 reads for the checks.
std::vector<double> read_all(const std::string& file, const std::string& name,
                             std::vector<hsize_t>& dims) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << name;
  hid_t s = H5Dget_space(d);
  dims.assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(s)), 0);
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  std::vector<double> v(static_cast<std::size_t>(n));
  if (n > 0) {
    EXPECT_GE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  }
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return v;
}

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name;
    if (rank() == 0) {
      char tmpl[] = "/tmp/dislo-io-XXXXXX";
      const char* made = mkdtemp(tmpl);
      name = made != nullptr ? made : "";
    }
    dir_ = bcast_string(name);
    ASSERT_FALSE(dir_.empty());
  }
  // Runs even when a rank-0 ASSERT returned early: no rank is left waiting.
  void TearDown() override {
    MPI_Barrier(world());
    if (rank() == 0) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    MPI_Barrier(world());
  }
  std::string dir_;
};

TEST_F(IoTest, FieldRowsRoundTripExactly) {
  const std::string path = dir_ + "/sub/dir/out.h5";  // parent directories are created
  const int G = 7;
  const std::vector<double> times = {0.0, 0.5};
  {
    dislo::OutputFile out(world(), path);
    EXPECT_EQ(out.path(), path);
    out.write_vector("/times", times);
    write_field(out, "/mf/rho_plus", G, times);
    write_field(out, "/mfeps/rho_minus", 5, times);
    out.finalise();
    // Every rank sees the file once finalise returns.
    EXPECT_TRUE(fs::exists(path));
  }
  if (rank() != 0) return;
  EXPECT_FALSE(has_temporaries(dir_ + "/sub/dir"));
  std::vector<hsize_t> dims;
  auto t = read_all(path, "/times", dims);
  ASSERT_EQ(dims, (std::vector<hsize_t>{2}));
  EXPECT_EQ(t, times);
  for (auto [name, g] : {std::pair<std::string, int>{"/mf/rho_plus", G}, {"/mfeps/rho_minus", 5}}) {
    auto v = read_all(path, name, dims);
    ASSERT_EQ(dims, (std::vector<hsize_t>{2, hsize_t(g), hsize_t(g)})) << name;
    for (int k = 0; k < 2; ++k) {
      for (int i = 0; i < g; ++i) {
        for (int j = 0; j < g; ++j) {
          EXPECT_EQ(v[(static_cast<std::size_t>(k) * g + i) * g + j], value(k, i, j, g))
              << name << " t=" << k << " i=" << i << " j=" << j;
        }
      }
    }
  }
}

TEST_F(IoTest, LargeSliceIsChunkedByRows) {
  const std::string path = dir_ + "/large.h5";
  const int G = 800;  // one slice is 5.1 MB > 4 MiB
  {
    dislo::OutputFile out(world(), path);
    write_field(out, "/f", G, {1.0});
    out.finalise();
  }
  if (rank() != 0) return;
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t d = H5Dopen2(f, "/f", H5P_DEFAULT);
  hid_t p = H5Dget_create_plist(d);
  hsize_t chunk[3] = {0, 0, 0};
  ASSERT_EQ(H5Pget_chunk(p, 3, chunk), 3);
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[2], 800u);
  EXPECT_LE(chunk[0] * chunk[1] * chunk[2] * sizeof(double), std::size_t{4} << 20);
  EXPECT_GE(chunk[1], 600u);
  H5Pclose(p);
  H5Dclose(d);
  H5Fclose(f);
  std::vector<hsize_t> dims;
  auto v = read_all(path, "/f", dims);
  std::size_t bad = 0;
  for (int i = 0; i < G; ++i) {
    for (int j = 0; j < G; ++j) bad += v[static_cast<std::size_t>(i) * G + j] != value(0, i, j, G);
  }
  EXPECT_EQ(bad, 0u);
}

TEST_F(IoTest, SmallFieldIsChunkedPerSlice) {
  const std::string path = dir_ + "/small.h5";
  {
    dislo::OutputFile out(world(), path);
    write_field(out, "/f", 16, {0.0, 1.0, 2.0});
    out.finalise();
  }
  if (rank() != 0) return;
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "/f", H5P_DEFAULT);
  hid_t p = H5Dget_create_plist(d);
  hsize_t chunk[3] = {0, 0, 0};
  EXPECT_EQ(H5Pget_chunk(p, 3, chunk), 3);
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[1], 16u);
  EXPECT_EQ(chunk[2], 16u);
  H5Pclose(p);
  H5Dclose(d);
  H5Fclose(f);
}

// Reads a scalar attribute; kind 'd', 'i' or 's'.
struct Attr {
  H5T_class_t cls = H5T_NO_CLASS;
  double d = 0;
  std::int64_t i = 0;
  std::string s;
  bool utf8 = false;
};

Attr read_attr(const std::string& file, const std::string& object, const std::string& name) {
  Attr a;
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0);
  hid_t at = H5Aopen_by_name(f, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(at, 0) << object << " " << name;
  if (at < 0) {
    H5Fclose(f);
    return a;
  }
  hid_t type = H5Aget_type(at);
  a.cls = H5Tget_class(type);
  if (a.cls == H5T_FLOAT) {
    H5Aread(at, H5T_NATIVE_DOUBLE, &a.d);
  } else if (a.cls == H5T_INTEGER) {
    H5Aread(at, H5T_NATIVE_INT64, &a.i);
  } else if (a.cls == H5T_STRING) {
    a.utf8 = H5Tget_cset(type) == H5T_CSET_UTF8;
    if (H5Tis_variable_str(type) > 0) {
      char* p = nullptr;
      H5Aread(at, type, &p);
      a.s = p != nullptr ? p : "";
      H5free_memory(p);
    } else {
      std::string buf(H5Tget_size(type), '\0');
      H5Aread(at, type, buf.data());
      a.s = buf.c_str();
    }
  }
  H5Tclose(type);
  H5Aclose(at);
  H5Fclose(f);
  return a;
}

TEST_F(IoTest, AttributesRoundTrip) {
  const std::string path = dir_ + "/attrs.h5";
  std::string long_text;
  for (int k = 0; k < 5000; ++k) long_text += "key_" + std::to_string(k) + " = 1.5\n";  // > 64 KiB
  {
    dislo::OutputFile out(world(), path);
    out.write_vector("/times", {0.0, 1.0});
    out.set_attribute("/", "seed", std::int64_t{-1234567890123});
    out.set_attribute("/", "mpi_ranks", std::int64_t{nranks()});
    out.set_attribute("/", "created", std::string("2024-01-02T03:04:05Z"));
    out.set_attribute("/", "study", long_text);
    out.set_attribute("/", "unicode", std::string("\xce\xb5 = 1/L, \xcf\x81\xe2\x81\xba"));
    out.set_attribute("/", "empty", std::string());
    out.set_attribute("/summary", "wall_seconds", 12.5);
    out.set_attribute("summary", "wall_seconds", 0.1 + 0.2);  // replaced, no leading slash
    out.set_attribute("/potential", "kind", std::string("gaussian"));
    out.set_attribute("/potential", "kind", std::int64_t{3});  // replaced by another type
    out.set_attribute("/a/b/c", "x", 1e-300);                  // intermediate groups
    out.set_attribute("/times", "units", std::string("1"));    // on an existing dataset
    out.finalise();
  }
  if (rank() != 0) return;
  auto a = read_attr(path, "/", "seed");
  EXPECT_EQ(a.cls, H5T_INTEGER);
  EXPECT_EQ(a.i, -1234567890123);
  a = read_attr(path, "/", "mpi_ranks");
  EXPECT_EQ(a.i, nranks());
  a = read_attr(path, "/", "created");
  EXPECT_EQ(a.cls, H5T_STRING);
  EXPECT_TRUE(a.utf8);
  EXPECT_EQ(a.s, "2024-01-02T03:04:05Z");
  EXPECT_EQ(read_attr(path, "/", "study").s, long_text);
  EXPECT_EQ(read_attr(path, "/", "unicode").s, "\xce\xb5 = 1/L, \xcf\x81\xe2\x81\xba");
  EXPECT_EQ(read_attr(path, "/", "empty").s, "");
  a = read_attr(path, "/summary", "wall_seconds");
  EXPECT_EQ(a.cls, H5T_FLOAT);
  EXPECT_EQ(a.d, 0.1 + 0.2);
  a = read_attr(path, "/potential", "kind");
  EXPECT_EQ(a.cls, H5T_INTEGER);
  EXPECT_EQ(a.i, 3);
  EXPECT_EQ(read_attr(path, "/a/b/c", "x").d, 1e-300);
  EXPECT_EQ(read_attr(path, "/times", "units").s, "1");
}

TEST_F(IoTest, XdmfSidecarDescribesFields) {
  const std::string path = dir_ + "/run.h5";
  {
    dislo::OutputFile out(world(), path);
    out.write_vector("/times", {0.0, 0.25});
    write_field(out, "/mf/rho_plus", 6, {0.0, 0.25});
    write_field(out, "/mf/rho_minus", 6, {0.0, 0.25});
    write_field(out, "/mfeps/rho_plus", 4, {0.0, 0.25});
    out.create_field("/hidden", {0.0}, 3, false);
    std::vector<double> zeros(9, 0.0);
    out.write_field_rows("/hidden", 0, 0, rank() == 0 ? 3 : 0, zeros.data());
    out.finalise();
  }
  if (rank() != 0) return;
  const std::string xmf = dir_ + "/run.xmf";
  ASSERT_TRUE(fs::exists(xmf));
  EXPECT_FALSE(has_temporaries(dir_));
  const std::string text = slurp(xmf);
  EXPECT_NE(text.find("<Xdmf Version=\"3.0\""), std::string::npos);
  EXPECT_NE(text.find("</Xdmf>"), std::string::npos);
  EXPECT_NE(text.find("CollectionType=\"Temporal\""), std::string::npos);
  EXPECT_NE(text.find("2DCoRectMesh\" Dimensions=\"6 6\""), std::string::npos);
  EXPECT_NE(text.find("2DCoRectMesh\" Dimensions=\"4 4\""), std::string::npos);
  EXPECT_NE(text.find("ORIGIN_DXDY"), std::string::npos);
  EXPECT_NE(text.find(">run.h5:/mf/rho_plus</DataItem>"), std::string::npos);
  EXPECT_NE(text.find(">run.h5:/mf/rho_minus</DataItem>"), std::string::npos);
  EXPECT_NE(text.find(">run.h5:/mfeps/rho_plus</DataItem>"), std::string::npos);
  EXPECT_NE(text.find("Dimensions=\"2 6 6\""), std::string::npos);
  EXPECT_NE(text.find(">1 0 0 1 1 1 1 6 6<"), std::string::npos);  // slice t = 1
  EXPECT_NE(text.find("<Time Value=\"0.25\""), std::string::npos);
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  // Balanced elements: one Attribute per field per time.
  auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (auto p = text.find(s); p != std::string::npos; p = text.find(s, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<Attribute "), 6u);
  EXPECT_EQ(count("</Attribute>"), 6u);
  EXPECT_EQ(count("<Grid "), count("</Grid>"));
  EXPECT_EQ(count("<Grid "), 2u + 4u);
}

TEST_F(IoTest, XdmfNameWithoutH5Extension) {
  const std::string path = dir_ + "/result.hdf";
  {
    dislo::OutputFile out(world(), path);
    write_field(out, "/f", 3, {0.0});
    out.finalise();
  }
  if (rank() == 0) {
    EXPECT_TRUE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path + ".xmf"));
  }
}

TEST_F(IoTest, AbandonedFileLeavesNothing) {
  const std::string path = dir_ + "/abandoned.h5";
  {
    dislo::OutputFile out(world(), path);
    out.set_attribute("/", "seed", std::int64_t{1});
    write_field(out, "/mf/rho_plus", 5, {0.0, 1.0});
    if (rank() == 0) {
      EXPECT_TRUE(has_temporaries(dir_));
    }
  }
  MPI_Barrier(world());
  if (rank() != 0) return;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir_ + "/abandoned.xmf"));
  EXPECT_FALSE(has_temporaries(dir_));
}

TEST_F(IoTest, UncreatableDirectoryThrows) {
  if (rank() == 0) std::ofstream(dir_ + "/plainfile") << "x";
  MPI_Barrier(world());
  const std::string path = dir_ + "/plainfile/out.h5";
  try {
    dislo::OutputFile out(world(), path);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_ + "/plainfile"), std::string::npos) << e.what();
  }
}

// A full disk, as the file system reports it: past RLIMIT_FSIZE a write fails with EFBIG
// as past the end of a disk with ENOSPC. The error carries the system's reason.
TEST_F(IoTest, AFailedWriteSaysWhyTheSystemRefused) {
  // On 3 ranks Debian's HDF5 1.10.8 crashes in its own clean-up at MPI_Finalize after this
  // failure (H5F__close_cb, whatever dislo does with the file): 1 and 2 ranks show it all.
  int ranks = 1;
  MPI_Comm_size(world(), &ranks);
  if (ranks > 2) GTEST_SKIP() << "HDF5 1.10.8 crashes at exit after a failed write on 3 ranks";
  const std::string path = dir_ + "/full.h5";
  rlimit before{};
  getrlimit(RLIMIT_FSIZE, &before);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // the error, not the signal
  rlimit small = before;
  small.rlim_cur = 1 << 16;
  setrlimit(RLIMIT_FSIZE, &small);
  std::string message;
  std::optional<dislo::OutputFile> out;
  try {
    out.emplace(world(), path);
    out->write_vector("/big", std::vector<double>(1 << 16, 1.0));
    out->finalise();
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  // Abandoned with room again: HDF5 1.10 crashes at exit on a file whose close failed.
  out.reset();
  // Every rank throws (none waits in a collective call); the failing ones say why.
  EXPECT_FALSE(message.empty());
  int says_why = message.find(std::strerror(EFBIG)) != std::string::npos ? 1 : 0, any = 0;
  MPI_Allreduce(&says_why, &any, 1, MPI_INT, MPI_MAX, world());
  EXPECT_EQ(any, 1) << message;
}

TEST_F(IoTest, WriteOutsideFieldThrows) {
  dislo::OutputFile out(world(), dir_ + "/bad.h5");
  out.create_field("/f", {0.0}, 4);
  std::vector<double> rows(8, 0.0);
  EXPECT_THROW(out.write_field_rows("/f", 1, 0, 2, rows.data()), std::out_of_range);
  EXPECT_THROW(out.write_field_rows("/f", 0, 3, 2, rows.data()), std::out_of_range);
  EXPECT_THROW(out.write_field_rows("/g", 0, 0, 1, rows.data()), std::invalid_argument);
}

// A chunked dataset of the given size whose values are never written (no storage): a
// hostile or broken file's declared size.
void declared_only(hid_t file, const char* name, std::vector<hsize_t> dims) {
  hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const std::vector<hsize_t> chunk(dims.size(), 1);
  H5Pset_chunk(dcpl, static_cast<int>(dims.size()), chunk.data());
  hid_t d = H5Dcreate2(file, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(s);
}

// Serial HDF5 file with 2-D datasets for read_square_dataset.
void write_plain(const std::string& file) {
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  auto put = [&](const char* name, std::vector<hsize_t> dims) {
    hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hsize_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<double> v(n);
    for (hsize_t k = 0; k < n; ++k) v[k] = 0.5 * static_cast<double>(k) - 3.0;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, s, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(s);
  };
  put("/init/rho_plus", {5, 5});
  put("/rect", {3, 4});
  put("/line", {9});
  declared_only(f, "/huge", {hsize_t(1) << 33, hsize_t(1) << 33});  // 2^66 values: wraps to 0
  declared_only(f, "/unwritten", {4, 4});
  H5Fclose(f);
}

TEST_F(IoTest, ReadSquareDataset) {
  const std::string file = dir_ + "/initial.h5";
  if (rank() == 0) write_plain(file);
  MPI_Barrier(world());
  int G = 0;
  auto v = dislo::read_square_dataset(file, "/init/rho_plus", G);
  ASSERT_EQ(G, 5);
  ASSERT_EQ(v.size(), 25u);
  for (std::size_t k = 0; k < v.size(); ++k) EXPECT_EQ(v[k], 0.5 * static_cast<double>(k) - 3.0);
  v = dislo::read_square_dataset(file, "init/rho_plus", G);  // no leading slash
  EXPECT_EQ(v.size(), 25u);

  auto expect_error = [&](const std::string& f, const std::string& d, const std::string& what) {
    try {
      int g = 0;
      dislo::read_square_dataset(f, d, g);
      ADD_FAILURE() << "no InputError for " << f << " " << d;
    } catch (const dislo::InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(f), std::string::npos) << msg;
      EXPECT_NE(msg.find(d), std::string::npos) << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  };
  expect_error(file, "/init/missing", "no such dataset");
  expect_error(file, "/nogroup/rho", "no such dataset");
  expect_error(file, "/init", "not a dataset");
  expect_error(file, "/rect", "[3, 4]");
  expect_error(file, "/line", "1 dimensions");
  // Sizes from the file are checked before anything is allocated (found by fuzz_hdf5_inputs).
  expect_error(file, "/huge", "more than the memory available");
  expect_error(file, "/unwritten", "stores none");
  expect_error(dir_ + "/absent.h5", "/init/rho_plus", "no such file");
  if (rank() == 0) std::ofstream(dir_ + "/text.h5") << "not hdf5";
  MPI_Barrier(world());
  expect_error(dir_ + "/text.h5", "/init/rho_plus", "not an HDF5 file");
}

// dislo collect: a run whose /times declares an enormous size is refused before anything is
// allocated (it allocated the declared size; found by fuzz_hdf5_inputs).
TEST_F(IoTest, CollectRefusesADeclaredSizeBeforeAllocating) {
  if (rank() != 0) GTEST_SKIP() << "serial";
  const std::string file = dir_ + "/declared.h5";
  hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  declared_only(f, "/times", {hsize_t(1) << 60});
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 2);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "study", type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, "\n");
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(f);
  try {
    dislo::collect_runs({file}, dir_ + "/table.h5");
    ADD_FAILURE() << "no InputError";
  } catch (const dislo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("more than the memory available"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
}

bool system_ok(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

TEST_F(IoTest, H5pyAndPlotToolReadTheFile) {
  const bool have_h5py =
      bcast_bool(rank() == 0 && system_ok("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1"));
  if (!have_h5py) {
    GTEST_SKIP() << "/usr/bin/python3 has no h5py";
  }
  const std::string path = dir_ + "/py.h5";
  const int M = 6;
  const std::vector<double> times = {0.0, 0.5, 1.0};
  {
    dislo::OutputFile out(world(), path);
    out.set_attribute("/", "study", std::string("[run]\nmodels = [\"mf\"]\n"));
    out.set_attribute("/", "seed", std::int64_t{42});
    out.set_attribute("/summary", "wall_seconds", 1.5);
    out.write_vector("/times", times);
    write_field(out, "/mf/rho_plus", M, times);
    write_field(out, "/mf/rho_minus", M, times);
    out.write_vector("/mf/mass_plus", {1.0, 1.0, 1.0});
    out.finalise();
  }
  {
    dislo::OutputFile out(world(), dir_ + "/nomf.h5");
    out.write_vector("/times", times);
    out.finalise();
  }
  if (rank() != 0) return;
  const std::string script = dir_ + "/check.py";
  std::ofstream(script) << "import sys, h5py, numpy as np\n"
                           "f = h5py.File(sys.argv[1], 'r')\n"
                           "assert isinstance(f.attrs['study'], str), type(f.attrs['study'])\n"
                           "assert f.attrs['study'].startswith('[run]')\n"
                           "assert int(f.attrs['seed']) == 42\n"
                           "assert float(f['summary'].attrs['wall_seconds']) == 1.5\n"
                           "assert list(f['times'][...]) == [0.0, 0.5, 1.0]\n"
                           "G = 6\n"
                           "r = f['mf/rho_plus'][...]\n"
                           "assert r.shape == (3, G, G), r.shape\n"
                           "t, i, j = np.meshgrid(range(3), range(G), range(G), indexing='ij')\n"
                           "assert np.array_equal(r, 1000.0 * t + G * i + j + 0.25)\n"
                           "print('h5py ok')\n";
  EXPECT_TRUE(system_ok("/usr/bin/python3 " + script + " " + path)) << "h5py check failed";

  const char* src = std::getenv("DISLO_SOURCE_DIR");
  if (src == nullptr) return;
  const std::string tool = std::string(src) + "/tools/plot_densities.py";
  if (!fs::exists(tool) || !system_ok("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1")) {
    return;
  }
  const std::string png = dir_ + "/py.png";
  EXPECT_TRUE(system_ok("/usr/bin/python3 " + tool + " " + path + " -o " + png));
  EXPECT_TRUE(fs::exists(png) && fs::file_size(png) > 0);
  EXPECT_TRUE(system_ok("/usr/bin/python3 " + tool + " " + path + " --times 0,2"));
  EXPECT_TRUE(fs::exists(dir_ + "/py.png"));
  // Neither mf nor mfeps: a clear failure.
  EXPECT_FALSE(system_ok("/usr/bin/python3 " + tool + " " + dir_ + "/nomf.h5 -o " + dir_ +
                         "/none.png 2>/dev/null"));
}

}  // namespace
