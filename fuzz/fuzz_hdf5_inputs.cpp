// libFuzzer target: dislo's readers of HDF5 files that users and other programs write
// (`dislo distance` point sets and densities, [initial] kind = "file", `dislo collect`).
// The input does not mutate HDF5's own format (that would fuzz the HDF5 library): it
// describes well-formed files through HDF5's API whose contents are hostile: datasets
// present or not, of rank 0-3, of any small or enormous declared size (chunked, never
// written), of integers, floats or strings, holding NaN, infinities, negative and huge
// values, and attributes of the wrong type. Every reader must accept the file or refuse it
// with InputError; nothing else.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "dislo/density_file.hpp"
#include "dislo/distance.hpp"
#include "dislo/io.hpp"
#include "dislo/study.hpp"

namespace {

double pick_value(FuzzedDataProvider& p) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double special[] = {0.0,
                            1.0,
                            -1.0,
                            0.5,
                            0.25,
                            1e300,
                            -1e300,
                            1e-300,
                            kInf,
                            -kInf,
                            std::numeric_limits<double>::quiet_NaN()};
  return p.ConsumeBool() ? p.PickValueInArray(special) : p.ConsumeFloatingPoint<double>();
}

hid_t link_creation() {
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

// A dataset `name`, or nothing, as the input says.
void maybe_dataset(hid_t file, const char* name, FuzzedDataProvider& p) {
  if (!p.ConsumeBool()) return;
  const int rank = p.ConsumeIntegralInRange(0, 3);
  const bool enormous = p.ConsumeIntegralInRange(0, 15) == 0;
  hsize_t dims[3] = {1, 1, 1};
  hsize_t count = 1;
  for (int r = 0; r < rank; ++r) {
    dims[r] = enormous ? (hsize_t(1) << p.ConsumeIntegralInRange(20, 40))
                       : p.ConsumeIntegralInRange<hsize_t>(0, 9);
    count *= dims[r];
  }
  const int kind = p.ConsumeIntegralInRange(0, 3);  // double, int32, uint8, string
  const hid_t type = kind == 0   ? H5T_NATIVE_DOUBLE
                     : kind == 1 ? H5T_NATIVE_INT32
                     : kind == 2 ? H5T_NATIVE_UINT8
                                 : H5Tcopy(H5T_C_S1);
  if (kind == 3) H5Tset_size(type, 8);
  const hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (enormous) {
    const hsize_t chunk[3] = {1, 1, 1};
    H5Pset_chunk(dcpl, rank, chunk);
  }
  const hid_t lcpl = link_creation();
  const hid_t d = H5Dcreate2(file, name, type, space, lcpl, dcpl, H5P_DEFAULT);
  if (d >= 0 && !enormous && count > 0) {
    std::vector<double> values(count);
    for (double& v : values) v = pick_value(p);
    if (kind == 3) {
      std::vector<char> text(count * 8, 'x');
      H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
    } else {
      H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    }
  }
  if (d >= 0) H5Dclose(d);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (kind == 3) H5Tclose(type);
}

// A string attribute `name` on `object` (or a number where a string belongs), or nothing.
void maybe_attribute(hid_t file, const char* object, const char* name,
                     const std::vector<std::string>& texts, FuzzedDataProvider& p) {
  if (!p.ConsumeBool() || H5Lexists(file, object, H5P_DEFAULT) <= 0) return;
  const hid_t space = H5Screate(H5S_SCALAR);
  if (p.ConsumeBool()) {
    const std::string text = p.ConsumeBool()
                                 ? texts[p.ConsumeIntegralInRange<std::size_t>(0, texts.size() - 1)]
                                 : p.ConsumeRandomLengthString(256);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, text.size() + 1);
    const hid_t a =
        H5Acreate_by_name(file, object, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
      H5Awrite(a, type, text.c_str());
      H5Aclose(a);
    }
    H5Tclose(type);
  } else {
    const double value = pick_value(p);
    const hid_t a = H5Acreate_by_name(file, object, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
      H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
      H5Aclose(a);
    }
  }
  H5Sclose(space);
}

struct Scratch {
  std::string dir;
  Scratch() {
    char name[] = "/tmp/dislo-fuzz-XXXXXX";
    dir = mkdtemp(name);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  std::string path(const char* name) const { return dir + "/" + name; }
};

const std::vector<std::string> kStudies = {"", "[run]\nmodels = [\"mf\"]\ntimes = [0.0, 0.5]\n",
                                           "[model]\nT = -1\n", "[sweep]\nn = [10, 20]\n"};
const std::vector<std::string> kKinds = {"cells", "fourier", "spline", ""};

template <class F>
void refused_or_read(F&& read) {
  try {
    read();
  } catch (const dislo::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scratch scratch;
  FuzzedDataProvider p(data, size);
  const int files = p.ConsumeIntegralInRange(1, 2);
  std::vector<std::string> paths;
  for (int i = 0; i < files; ++i) {
    paths.push_back(scratch.path(i == 0 ? "a.h5" : "b.h5"));
    const hid_t f = H5Fcreate(paths.back().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    for (const char* name :
         {"/points/x", "/points/y", "/points/weight", "/points/sign", "/density/rho", "/rho_plus",
          "/rho_minus", "/times", "/mf/rho_plus", "/sde/metrics/w1_plus/mean"})
      maybe_dataset(f, name, p);
    maybe_attribute(f, "/density/rho", "kind", kKinds, p);
    maybe_attribute(f, "/", "study", kStudies, p);
    H5Fclose(f);
  }
  const std::string out = scratch.path("out.h5");
  refused_or_read([&] {
    int G = 0;
    (void)dislo::read_square_dataset(paths[0], "rho_plus", G);
  });
  refused_or_read([&] {
    dislo::DistanceRequest request;
    request.inputs = paths;
    request.tolerance = 0.5;  // the reading and the checks, not a narrow bracket
    (void)dislo::compute_distances(request);
  });
  refused_or_read([&] { (void)dislo::collect_runs(paths, out); });
  std::filesystem::remove(out);
  return 0;
}
