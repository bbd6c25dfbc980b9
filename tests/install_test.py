#!/usr/bin/python3
"""`cmake --install` and the exported CMake package, end to end: the build tree installed
to a scratch prefix holds the programs, the library, the headers, the example studies,
job scripts and tools; the installed dislo runs (`info`, `check` of an installed example);
and a project outside the tree (tests/downstream) configures with find_package(dislo)
through CMAKE_PREFIX_PATH alone, builds against dislo::dislo and runs one MF step on 2
ranks."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.mkdtemp(prefix="dislo-install-")
        cls.prefix = os.path.join(cls.scratch, "prefix")
        cls.installed = run([ARGS.cmake, "--install", ARGS.build, "--prefix", cls.prefix])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def test_installs_programs_library_package_and_data(self):
        self.assertEqual(self.installed.returncode, 0, self.installed.stderr)
        for f in ("bin/dislo", "lib/libdislo_core.a", "lib/libdislo_app.a",
                  "include/dislo/meanfield.hpp", "include/dislo/run.hpp",
                  "lib/cmake/dislo/dislo-config.cmake", "lib/cmake/dislo/dislo-targets.cmake",
                  "lib/cmake/dislo/dislo-config-version.cmake",
                  "share/dislo/examples/cosine.toml", "share/dislo/jobscripts/long-run.sbatch",
                  "share/dislo/tools/quickstart.sh", "share/doc/dislo/README.md"):
            self.assertTrue(os.path.exists(self.path(f)), f)
        for f in ("bin/dislo", "share/dislo/tools/quickstart.sh",
                  "share/dislo/jobscripts/submit-sweep.sh"):
            self.assertTrue(os.access(self.path(f), os.X_OK), f)

    def test_installed_dislo_runs(self):
        r = run([self.path("bin/dislo"), "info"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("PETSc", r.stdout)
        r = run([self.path("bin/dislo"), "check", self.path("share/dislo/examples/cosine.toml")],
                cwd=self.scratch)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_downstream_project_finds_builds_and_runs(self):
        build = os.path.join(self.scratch, "downstream")
        r = run([ARGS.cmake, "-S", os.path.join(ARGS.source, "tests", "downstream"), "-B", build,
                 f"-DCMAKE_PREFIX_PATH={self.prefix}", f"-DCMAKE_CXX_COMPILER={ARGS.cxx}"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run([ARGS.cmake, "--build", build])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run([ARGS.mpiexec, "-n", "2", "--oversubscribe", os.path.join(build, "mf_step")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 step(s)", r.stdout)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    for name in ("cmake", "build", "source", "mpiexec", "cxx"):
        ap.add_argument("--" + name, required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
