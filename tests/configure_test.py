#!/usr/bin/python3
"""Configure finds each dependency the way HPC sites provide it (cmake/DisloDependencies.cmake):
with Debian's pkg-config names hidden (PKG_CONFIG_LIBDIR an empty directory), PETSc through
PETSC_DIR alone and parallel HDF5 through CMake's FindHDF5; without PETSC_DIR the error
names it. Configure only (a few seconds each), in scratch build directories."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def configure(env_extra, scratch):
    env = dict(os.environ, **env_extra)
    build = tempfile.mkdtemp(dir=scratch)
    return subprocess.run([ARGS.cmake, "-S", ARGS.source, "-B", build, "-DDISLO_BUILD_TESTS=OFF",
                           "-DDISLO_BUILD_BENCH=OFF"], env=env, capture_output=True, text=True,
                          timeout=300)


class Configure(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="dislo-configure-")
        self.empty = tempfile.mkdtemp(dir=self.scratch)

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def test_petsc_by_petsc_dir_and_hdf5_by_findhdf5(self):
        prefix = subprocess.run(["pkg-config", "--variable=prefix", "PETSc"], capture_output=True,
                                text=True).stdout.strip()
        if not prefix:
            self.skipTest("no PETSc pkg-config file to take PETSC_DIR from")
        r = configure({"PKG_CONFIG_LIBDIR": self.empty, "PETSC_DIR": prefix}, self.scratch)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(prefix, r.stdout)
        self.assertIn("parallel HDF5", r.stdout)

    def test_missing_petsc_names_petsc_dir(self):
        env = {"PKG_CONFIG_LIBDIR": self.empty, "PETSC_DIR": ""}
        r = configure(env, self.scratch)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("set PETSC_DIR", r.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--source", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
