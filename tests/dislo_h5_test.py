#!/usr/bin/python3
"""tools/dislo_h5.py, the reader for analysis scripts, on real outputs (run by ctest):
a run of all four models with the chaos couplings and certified w1/bl, and a `dislo
collect` table of a two-point sweep. Every value the reader returns is compared with the
file's dataset read directly by h5py, the study with the values the run was given, and a
missing file, a non-HDF5 file and a table opened as a run raise FileError with a reason.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

ARGS = None

STUDY = """
[model]
n = 40
lattice = 16
delta = 0.125
T = 0.05
[run]
models = ["mf", "mfeps", "sde", "rw"]
replicas = 4
times = [0.0, 0.025, 0.05]
[mf]
M = 32
[metrics]
kinds = ["w1", "bl", "hs"]
method = "certified"
law_bins = 8
[chaos]
coupling = true
frames = 8
"""


def dislo(*args, cwd):
    cmd = [ARGS.mpiexec, "-n", "2", "--oversubscribe", ARGS.dislo, *args]
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")


class Reader(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dislo-h5-")
        with open(os.path.join(cls.dir, "study.toml"), "w") as f:
            f.write(STUDY)
        cls.path = os.path.join(cls.dir, "run.h5")
        dislo("run", "study.toml", "-o", cls.path, cwd=cls.dir)

    def test_run_output(self):
        out = dislo_h5.Output(self.path)
        with h5py.File(self.path, "r") as f:
            np.testing.assert_array_equal(out.times, f["times"][...])
            self.assertEqual(out.models, ["mf", "mfeps", "sde", "rw"])
            self.assertEqual(out.study["model"]["n"], 40)
            self.assertEqual(out.study["metrics"]["method"], "certified")
            self.assertEqual(out.attrs["seed"], int(f.attrs["seed"]))
            self.assertEqual(out.summary["mpi_ranks"], 2)
            self.assertEqual(out.replicas("sde"), 4)
            for m in ("mf", "mfeps", "sde", "rw"):
                prefix = m if m in ("mf", "mfeps") else f"{m}/law"
                for s in ("plus", "minus"):
                    rho = out.density(m, s)
                    np.testing.assert_array_equal(rho, f[f"{prefix}/rho_{s}"][...])
                    np.testing.assert_array_equal(out.density(m, s, 1), rho[1])
            for m in ("sde", "rw"):
                names = out.metric_names(m)
                self.assertIn(("w1", "plus"), names)
                self.assertIn(("hs", "minus"), names)
                for key, metric in out.metrics(m).items():
                    g = f[f"{m}/metrics/{key}"]
                    np.testing.assert_array_equal(metric.mean, g["mean"][...])
                    np.testing.assert_array_equal(metric.stderr, g["stderr"][...])
                    if key.startswith(("w1", "bl")):  # certified brackets
                        np.testing.assert_array_equal(metric.lower, g["lower"][...])
                        np.testing.assert_array_equal(metric.upper, g["upper"][...])
                        self.assertTrue(np.all(metric.lower <= metric.upper))
                    else:
                        self.assertIsNone(metric.lower)
                law = out.pair_law(m)
                np.testing.assert_array_equal(law["r"], f[f"{m}/law/r"][...])
                self.assertEqual(law["pair_opposite"].shape, (3, law["r"].size))
            sde = out.chaos("sde")
            np.testing.assert_array_equal(sde["coupling"].mean, f["sde/chaos/coupling/mean"][...])
            np.testing.assert_array_equal(sde["bound_eq18"], f["sde/chaos/bound_eq18"][...])
            self.assertIn("bound_eq18.attrs", sde)
            rw = out.chaos("rw")
            np.testing.assert_array_equal(rw["thinning"].stderr, f["rw/chaos/thinning/stderr"][...])
            with self.assertRaises(KeyError):
                out.metric("sde", "w2", "plus")

    def test_collected_table(self):
        sweep = STUDY.replace('method = "certified"\n', "") + "[sweep]\nn = [20, 40]\n"
        with open(os.path.join(self.dir, "sweep.toml"), "w") as f:
            f.write(sweep)
        for i in (0, 1):
            dislo("run", "sweep.toml", "--sweep-index", str(i), "-o", f"p{i}.h5", cwd=self.dir)
        dislo("collect", "p0.h5", "p1.h5", "-o", "table.h5", cwd=self.dir)
        table = os.path.join(self.dir, "table.h5")
        columns, rows = dislo_h5.read_table(table)
        self.assertEqual(rows, 6)  # 2 points x 3 times
        self.assertEqual(sorted(set(columns["n"].tolist())), [20, 40])
        with h5py.File(table, "r") as f:
            np.testing.assert_array_equal(columns["sde/metrics/w1_plus/mean"],
                                          f["sde/metrics/w1_plus/mean"][...])
        with self.assertRaisesRegex(dislo_h5.FileError, "not a dislo run output"):
            dislo_h5.Output(table)

    def test_files_that_are_not_outputs(self):
        with self.assertRaisesRegex(dislo_h5.FileError, "no such file"):
            dislo_h5.Output(os.path.join(self.dir, "absent.h5"))
        text = os.path.join(self.dir, "text.h5")
        with open(text, "w") as f:
            f.write("not HDF5\n")
        with self.assertRaisesRegex(dislo_h5.FileError, "not a readable HDF5 file"):
            dislo_h5.Output(text)
        with self.assertRaisesRegex(dislo_h5.FileError, "not a collected table"):
            dislo_h5.read_table(self.path)


def main():
    global ARGS, dislo_h5
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--tools", required=True)
    ARGS, rest = ap.parse_known_args()
    sys.path.insert(0, ARGS.tools)
    import dislo_h5 as module
    dislo_h5 = module
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


dislo_h5 = None
if __name__ == "__main__":
    main()
