#!/usr/bin/python3
"""tools/dislo_h5.py, the reader for analysis scripts, and tools/dislo-plot, which draws
any output through it, on real outputs (run by ctest): a run of all four models with the
chaos couplings and certified w1/bl, and a `dislo collect` table of a three-point sweep.
Every value the reader returns is compared with the file's dataset read directly by h5py,
the study with the values the run was given, and a missing file, a non-HDF5 file and a
table opened as a run raise FileError with a reason. dislo-plot writes the figures the
file calls for (a PDF page or a PNG each), and refuses with exit status 2 and one line.
"""
import argparse
import os
import re
import shutil
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

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

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
        table = self.table()
        columns, rows = dislo_h5.read_table(table)
        self.assertEqual(rows, 9)  # 3 points x 3 times
        self.assertEqual(sorted(set(columns["n"].tolist())), [20, 40, 80])
        with h5py.File(table, "r") as f:
            np.testing.assert_array_equal(columns["sde/metrics/w1_plus/mean"],
                                          f["sde/metrics/w1_plus/mean"][...])
        with self.assertRaisesRegex(dislo_h5.FileError, "not a dislo run output"):
            dislo_h5.Output(table)

    @classmethod
    def table(cls):
        table = os.path.join(cls.dir, "table.h5")
        if os.path.exists(table):
            return table
        sweep = STUDY.replace('method = "certified"\n', "") + "[sweep]\nn = [20, 40, 80]\n"
        with open(os.path.join(cls.dir, "sweep.toml"), "w") as f:
            f.write(sweep)
        for i in (0, 1, 2):
            dislo("run", "sweep.toml", "--sweep-index", str(i), "-o", f"p{i}.h5", cwd=cls.dir)
        dislo("collect", "p0.h5", "p1.h5", "p2.h5", "-o", "table.h5", cwd=cls.dir)
        return table

    def plot(self, *args):
        return subprocess.run([sys.executable, os.path.join(ARGS.tools, "dislo-plot"), *args],
                              capture_output=True, text=True, timeout=300)

    def test_dislo_plot(self):
        pdf = os.path.join(self.dir, "run.pdf")
        p = self.plot(self.path, "-o", pdf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(densities, metrics, laws, chaos)", p.stdout)
        with open(pdf, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF"))
        self.assertIn(b"/Type /Pages /Kids", data.replace(b"\n", b" "))
        self.assertEqual(len(re.findall(rb"/Type /Page\b(?!s)", data)), 4)  # one page a figure
        png = os.path.join(self.dir, "run.png")
        p = self.plot(self.path, "-o", png)
        self.assertEqual(p.returncode, 0, p.stderr)
        for path in (png, *(os.path.join(self.dir, f"run-{n}.png") for n in ("metrics", "laws", "chaos"))):
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", path)
        # --figures keeps the figures whose names match.
        p = self.plot(self.path, "-o", os.path.join(self.dir, "some.png"), "--figures", "l*",
                      "--figures", "chaos")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(laws, chaos)", p.stdout)
        # A table: each replica mean against n (three values), with its fitted rate.
        p = self.plot(self.table(), "-o", os.path.join(self.dir, "table.pdf"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sde_metrics_w1_plus_mean-n", p.stdout)
        # Refusals: one line, exit status 2.
        for args, why in (([os.path.join(self.dir, "absent.h5")], "no such file"),
                          ([self.path, "-o", "x.jpg"], "must end in .png or .pdf"),
                          ([self.path, "--figures", "none*"], "matching --figures")):
            p = self.plot(*args)
            self.assertEqual(p.returncode, 2)
            self.assertIn(why, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

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
