#!/usr/bin/python3
"""End-to-end tests of the dislo executable (run by ctest with Debian's python3)."""
import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

ARGS = None

SMALL = """
[model]
lattice = 32
delta = 0.125
beta = 4.0
T = 0.1
[mf]
M = 32
[run]
models = ["mf", "mfeps"]
times = [0.0, 0.05, 0.1]
"""


def run(cmd, cwd, ranks=1):
    full = [ARGS.mpiexec, "-n", str(ranks), "--oversubscribe"] + cmd if ranks else cmd
    return subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=300)


class Driver(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dislo-driver-")
        self.study = os.path.join(self.dir, "small.toml")
        with open(self.study, "w") as f:
            f.write(SMALL)

    def check_contract(self, path):
        checker = os.path.join(ARGS.source, "tests", "contract", "check-output.py")
        r = subprocess.run([sys.executable, checker, path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_run_on_one_and_two_ranks_agree_and_meet_contract(self):
        outs = []
        for ranks in (1, 2):
            out = os.path.join(self.dir, f"r{ranks}.h5")
            r = run([ARGS.dislo, "run", self.study, "-o", out], self.dir, ranks)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.check_contract(out)
            self.assertTrue(os.path.exists(out[:-3] + ".xmf"))
            self.assertEqual([p for p in os.listdir(self.dir) if ".tmp" in p], [])
            outs.append(out)
        with h5py.File(outs[0]) as a, h5py.File(outs[1]) as b:
            self.assertEqual(a.attrs["mpi_ranks"], 1)
            self.assertEqual(b.attrs["mpi_ranks"], 2)
            # Bit-identical whatever the number of ranks (docs/ensembles.md).
            for name in ("mf/rho_plus", "mf/rho_minus", "mfeps/rho_plus", "mfeps/rho_minus",
                         "mf/mass_plus", "mfeps/mass_minus"):
                x, y = a[name][...], b[name][...]
                self.assertEqual(x.shape, y.shape)
                self.assertEqual(x.tobytes(), y.tobytes(), name)
            m = a["mf/mass_plus"][...]
            self.assertLess(np.max(np.abs(m / m[0] - 1)), 1e-12)

    def test_petsc_options_reach_the_time_stepper(self):
        out = os.path.join(self.dir, "rk.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "-ts_type", "rk", "-ts_monitor"],
                self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("TS dt", r.stdout)
        with h5py.File(out) as f:
            self.assertEqual(f["mf"].attrs["ts_type"], "rk")

    def test_log_view_shows_a_stage_per_phase(self):
        out = os.path.join(self.dir, "log.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "--set", 'run.models=["mf", "sde"]',
                 "--set", "run.replicas=2", "--set", "model.n=40", "-log_view"], self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("dislo MF", "dislo SDE ensemble", "dislo output", "DisloSimulate",
                     "DisloMetrics"):
            self.assertIn(name, r.stdout)

    def test_set_overrides_and_check_prints_resolved_study(self):
        r = run([ARGS.dislo, "check", self.study, "--set", "model.beta=2.5"], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("beta = 2.5", r.stdout)
        self.assertIn("times", r.stdout)

    def test_bad_input_exits_2_with_one_line(self):
        cases = [
            (["--set", "model.delta=0.9"], "model.delta"),
            (["--set", "model.nonsense=1"], "nonsense"),
            (["--set", "model.lattice=3"], "model.lattice"),
        ]
        for extra, needle in cases:
            out = os.path.join(self.dir, "bad.h5")
            r = run([ARGS.dislo, "run", self.study, "-o", out] + extra, self.dir, 2)
            self.assertEqual(r.returncode, 2, (extra, r.stderr))
            lines = [l for l in r.stderr.splitlines() if "dislo: error" in l]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(needle, lines[0])
            self.assertFalse(os.path.exists(out))
        r = run([ARGS.dislo, "run", os.path.join(self.dir, "missing.toml")], self.dir, 0)
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.toml", r.stderr)

    def test_failed_run_leaves_no_output(self):
        out = os.path.join(self.dir, "fail.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "-ts_type", "no_such_type"], self.dir)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([p for p in os.listdir(self.dir) if p.startswith("fail")], [])

    def test_info(self):
        r = run([ARGS.dislo, "info"], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("dislo", "git revision", "PETSc", "HDF5", "FFTW", "build type"):
            self.assertIn(word, r.stdout)

    def test_plot_tool_draws_png(self):
        out = os.path.join(self.dir, "plot.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out], self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        png = os.path.join(self.dir, "plot.png")
        tool = os.path.join(ARGS.source, "tools", "plot_densities.py")
        p = subprocess.run([sys.executable, tool, out, "-o", png], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--source", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
