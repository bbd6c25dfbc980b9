#pragma once
// Density files for [initial] kind = "file": one HDF5 dataset per sign.

#include <string>
#include <vector>

namespace dislo {

// Reads a 2-D dataset [G, G] (x-major) from an HDF5 file, serially; used for
// [initial] kind = "file". Throws InputError naming the file and dataset when absent.
std::vector<double> read_square_dataset(const std::string& file, const std::string& dataset,
                                        int& G);

}  // namespace dislo
