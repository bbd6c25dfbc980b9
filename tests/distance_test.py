#!/usr/bin/python3
"""`dislo distance` end to end (contract.md): point sets and densities from HDF5 files,
brackets against exact values, JSON lines and HDF5 output, clear errors (exit 2)."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

ARGS = None
UNIT_SQUARE = (math.sqrt(2) + math.asinh(1)) / 6  # mean distance from a square's centre


def regular(k, shift=0.3):
    c = (np.arange(k) + 0.5 + shift) / k % 1.0
    x, y = np.meshgrid(c, c, indexing="ij")
    return x.ravel(), y.ravel()


class Distance(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dislo-distance-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_dislo(self, *args):
        return subprocess.run([ARGS.dislo, "distance", *args], capture_output=True, text=True,
                              timeout=300, env=dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
                                                    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1"))

    def rows(self, *args):
        r = self.run_dislo(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines()]

    def test_regular_points_against_uniform_contain_the_exact_value(self):
        # k x k atoms each take their own cell: w1 = UNIT_SQUARE / k (issue 15 part 2).
        k = 8
        x, y = regular(k)
        with h5py.File(self.path("points.h5"), "w") as f:
            f["points/x"], f["points/y"] = x, y
        (w1, bl) = self.rows(self.path("points.h5"))
        self.assertEqual((w1["kind"], w1["sign"]), ("w1", "all"))
        exact = UNIT_SQUARE / k
        self.assertLessEqual(w1["lower"], exact * (1 + 1e-12))
        self.assertGreaterEqual(w1["upper"], exact * (1 - 1e-12))
        self.assertLessEqual(w1["upper"] - w1["lower"], 0.02 * w1["upper"])
        self.assertLessEqual(bl["lower"], bl["upper"])
        self.assertLessEqual(bl["upper"], w1["upper"] * (1 + 1e-12))  # equal masses

    def test_signs_weights_and_a_fourier_density(self):
        # The + atoms sit where a cosine density is high, the - atoms where it is low: + is
        # much closer to it than -. Weights double the + atoms' mass.
        rng = np.random.default_rng(3)
        n = 60
        xp = rng.normal(0.0, 0.08, n) % 1.0
        xm = rng.normal(0.5, 0.08, n) % 1.0
        y = rng.random(2 * n)
        N = 16
        rho = np.array([[1 + 0.9 * math.cos(2 * math.pi * i / N)] * N for i in range(N)])
        with h5py.File(self.path("points.h5"), "w") as f:
            f["points/x"] = np.concatenate([xp, xm])
            f["points/y"] = y
            f["points/sign"] = np.array([1] * n + [-1] * n, dtype=np.int8)
            f["points/weight"] = np.array([2.0] * n + [1.0] * n)
        with h5py.File(self.path("density.h5"), "w") as f:
            f["density/rho"] = rho
            f["density/rho"].attrs["kind"] = "fourier"
        out = self.path("out.h5")
        r = self.run_dislo(self.path("points.h5"), self.path("density.h5"), "--kinds", "w1",
                           "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(out) as f:
            plus, minus = f["distance/w1_plus"].attrs, f["distance/w1_minus"].attrs
            self.assertIn("w1_all", f["distance"])
            self.assertNotIn("bl_plus", f["distance"])
            for a in (plus, minus):
                self.assertLessEqual(a["lower"], a["value"])
                self.assertLessEqual(a["value"], a["upper"])
                self.assertGreater(a["seconds"], 0)
            self.assertLess(plus["upper"], minus["lower"])
        self.assertEqual([p for p in os.listdir(self.dir) if ".tmp-" in p], [])

    def test_two_point_sets_exact(self):
        # One point against the same point moved by (0.1, 0.2): w1 = |shift| exactly.
        with h5py.File(self.path("a.h5"), "w") as f:
            f["points/x"], f["points/y"] = [0.95], [0.5]
        with h5py.File(self.path("b.h5"), "w") as f:
            f["points/x"], f["points/y"] = [0.05], [0.7]
        (w1,) = self.rows(self.path("a.h5"), self.path("b.h5"), "--kinds", "w1")
        self.assertAlmostEqual(w1["lower"], math.hypot(0.1, 0.2), delta=1e-10)
        self.assertAlmostEqual(w1["upper"], math.hypot(0.1, 0.2), delta=1e-10)

    def test_bad_input_is_exit_2_with_one_line(self):
        with h5py.File(self.path("empty.h5"), "w") as f:
            f["other"] = [1.0]
        with h5py.File(self.path("short.h5"), "w") as f:
            f["points/x"], f["points/y"] = [0.1, 0.2], [0.3]
        # Found by fuzz_hdf5_inputs: this was an HDF5 error with exit 1.
        with h5py.File(self.path("no_y.h5"), "w") as f:
            f["points/x"] = [0.1, 0.2]
        with h5py.File(self.path("neg.h5"), "w") as f:
            f["points/x"], f["points/y"] = [0.1], [0.3]
            f["density/rho"] = -np.ones((4, 4))
        # Samples >= 0 whose Fourier series rings below zero between them.
        with h5py.File(self.path("ringing.h5"), "w") as f:
            f["points/x"], f["points/y"] = [0.1], [0.3]
            spike = np.zeros((8, 8))
            spike[3, 3] = 64.0
            f["density/rho"] = spike
            f["density/rho"].attrs["kind"] = "fourier"
        for args, needle in [((self.path("ringing.h5"),), "negative"),((self.path("missing.h5"),), "no such file"),
                             ((self.path("empty.h5"),), "neither"),
                             ((self.path("short.h5"),), "another length"),
                             ((self.path("no_y.h5"),), "/points/y: missing"),
                             ((self.path("neg.h5"),), ">= 0"),
                             ((self.path("neg.h5"), "--kinds", "w2"), "valid kinds"),
                             ((self.path("neg.h5"), "--tolerance", "0"), "valid range")]:
            r = self.run_dislo(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(needle, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dislo", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
