#include "dislo/density_file.hpp"

#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/hdf5_handle.hpp"

namespace dislo {

namespace fs = std::filesystem;
using h5::check;
using h5::exists;
using h5::Handle;
using h5::normalise;
using h5::quiet_hdf5;

namespace {

std::vector<double> read_square(const std::string& file, const std::string& dataset, int& G) {
  const std::string name = normalise(dataset);
  const std::string where = file + ", dataset " + name + ": ";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw InputError(where + "no such file");
  }
  if (check(H5Fis_hdf5(file.c_str()), "H5Fis_hdf5", file) <= 0) {
    throw InputError(where + "not an HDF5 file");
  }
  const hid_t fid = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fid < 0) throw InputError(where + "cannot open the file");
  Handle f(fid, H5Fclose, "H5Fopen", file);
  if (!exists(f.get(), name, where)) throw InputError(where + "no such dataset");
  H5O_info_t info;
  check(H5Oget_info_by_name(f.get(), name.c_str(), &info, H5P_DEFAULT), "H5Oget_info_by_name",
        where);
  if (info.type != H5O_TYPE_DATASET) throw InputError(where + "not a dataset");
  Handle d(H5Dopen2(f.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "H5Dopen2", where);
  Handle type(H5Dget_type(d.get()), H5Tclose, "H5Dget_type", where);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    throw InputError(where + "holds no numbers (expected a 2-D array of doubles)");
  }
  Handle space(H5Dget_space(d.get()), H5Sclose, "H5Dget_space", where);
  const int ndims =
      check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", where);
  if (ndims != 2) {
    throw InputError(where + "has " + std::to_string(ndims) +
                     " dimensions, expected a square 2-D array [G, G]");
  }
  hsize_t dims[2] = {0, 0};
  check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), "H5Sget_simple_extent_dims", where);
  if (dims[0] != dims[1] || dims[0] == 0) {
    throw InputError(where + "has shape [" + std::to_string(dims[0]) + ", " +
                     std::to_string(dims[1]) + "], expected a non-empty square [G, G]");
  }
  const std::size_t count = h5::values_to_read(d.get(), space.get(), where);
  if (dims[0] > hsize_t(std::numeric_limits<int>::max()))
    throw InputError(where + "is too large for a grid");
  std::vector<double> values(count);
  check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        "H5Dread", where);
  G = static_cast<int>(dims[0]);
  return values;
}

}  // namespace

std::vector<double> read_square_dataset(const std::string& file, const std::string& dataset,
                                        int& G) {
  quiet_hdf5();
  return h5::read_user_file(file, [&] { return read_square(file, dataset, G); });
}

}  // namespace dislo
