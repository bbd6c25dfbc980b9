#!/usr/bin/python3
"""tools/fit_rates.py on synthetic collected tables (no dislo run needed).

Usage: fit_rates_test.py TOOLS_DIR TMPDIR [unittest arguments]

- fit_power_law: exact slope and prefactor on noise-free data (weighted and not), the
  same numbers as numpy.polyfit, refusals; the 95% interval covers the true slope in
  about 95% of 1000 noisy data sets, weighted and unweighted.
- The command line on tables in the layout of `dislo collect` (several n, two seeds, two
  times, a kernel string column, a second delta and kernel to filter out): --json,
  --where, --t, the stderr column pairing, NaN rows dropped, the human table, --plot.
- Errors: exit status 2 and one line on stderr for a missing column, too few points, no
  rows left, a bad --where, a missing or unreadable file.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

ARGS = None
fit_rates = None  # the module under test, imported from TOOLS_DIR in main()

NS = [100, 200, 400, 800, 1600, 3200]
SEEDS = [1, 2]
TIMES = [0.5, 1.0]
REL = {1: 0.03, 2: 0.05}  # relative stderr by seed: as if the seeds ran different replicas
# (delta, kernel) -> slope of bl_plus at each time; only the first is meant to be fitted,
# the others differ so that a filter that lets them through shows in the slope.
SLOPES = {(0.0625, "gaussian"): {0.5: -0.3, 1.0: -0.5},
          (0.125, "gaussian"): {0.5: -0.8, 1.0: -0.8},
          (0.0625, "cosine"): {0.5: -1.0, 1.0: -1.0}}
PREFACTOR = 0.3
LATTICES = [16, 32, 64, 128, 256]
EPS_SLOPE, EPS_PREFACTOR, EPS_REL = 2.0, 3.0, 0.04


def write_table(path, cols, string_dtype):
    """A collected table: every column a 1-d dataset at its path, `rows` and `sources`."""
    rows = len(cols["t"])
    with h5py.File(path, "w") as f:
        f.attrs["rows"] = rows
        f.attrs["sources"] = [f"run{p}.h5" for p in sorted(set(cols["point"]))]
        for name, values in cols.items():
            if name == "kernel":
                f.create_dataset(name, data=values, dtype=string_dtype)
            else:
                f.create_dataset(name, data=np.asarray(values))


def n_table(path, rng):
    """The particle-number study: one row per (run, time), runs over delta, kernel, n, seed."""
    c = {k: [] for k in ("point", "t", "n", "lattice", "eps", "delta", "beta", "T", "seed",
                         "kernel")}
    v = {k: [] for k in ("sde/metrics/bl_plus/mean", "sde/metrics/bl_plus/stderr",
                         "rw/metrics/w1_minus/mean", "rw/metrics/w1_minus/stderr",
                         "sde/law/l2_plus", "sde/law/l2_plus_stderr", "mf/mass_plus",
                         "exact2/l2_law_distance")}
    point = 0
    for (delta, kernel), slopes in SLOPES.items():
        for n in NS:
            for seed in SEEDS:
                for t in TIMES:
                    for k, x in (("point", point), ("t", t), ("n", n), ("lattice", 32),
                                 ("eps", 1 / 32), ("delta", delta), ("beta", 4.0),
                                 ("T", 1.0), ("seed", seed), ("kernel", kernel)):
                        c[k].append(x)
                    r = REL[seed]
                    bl = PREFACTOR * n ** slopes[t]
                    v["sde/metrics/bl_plus/mean"].append(bl * (1 + r * rng.standard_normal()))
                    v["sde/metrics/bl_plus/stderr"].append(r * bl)
                    # The seed-2 runs had no rw model: NaN, as collect writes.
                    w1 = 0.5 * n ** -0.5 * (1 + r * rng.standard_normal())
                    v["rw/metrics/w1_minus/mean"].append(w1 if seed == 1 else np.nan)
                    v["rw/metrics/w1_minus/stderr"].append(r * w1 if seed == 1 else np.nan)
                    l2 = 2.0 * n ** -0.5
                    v["sde/law/l2_plus"].append(l2 * (1 + r * rng.standard_normal()))
                    v["sde/law/l2_plus_stderr"].append(r * l2)
                    v["mf/mass_plus"].append(1.0 + 0.001 * rng.standard_normal())
                    v["exact2/l2_law_distance"].append(np.nan)
                point += 1
    cols = {**{k: np.array(x) for k, x in c.items()}, **{k: np.array(x) for k, x in v.items()}}
    cols["kernel"] = np.array(c["kernel"], dtype=object)
    write_table(path, cols, h5py.string_dtype("utf-8"))
    return cols


def eps_table(path, rng):
    """The lattice study: L = 1/eps varies, no stderr for the exact-solution distance."""
    cols = {k: [] for k in ("point", "t", "n", "lattice", "eps", "delta", "beta", "T", "seed",
                            "kernel", "exact2/l2_law_distance", "mf/mass_plus")}
    for point, lattice in enumerate(LATTICES):
        for t in TIMES:
            for k, x in (("point", point), ("t", t), ("n", 1000), ("lattice", lattice),
                         ("eps", 1 / lattice), ("delta", 0.0625), ("beta", 4.0), ("T", 1.0),
                         ("seed", 1), ("kernel", "gaussian")):
                cols[k].append(x)
            d = EPS_PREFACTOR * (1 / lattice) ** EPS_SLOPE
            cols["exact2/l2_law_distance"].append(d * (1 + EPS_REL * rng.standard_normal()))
            cols["mf/mass_plus"].append(1.0)
    cols = {k: np.array(x) for k, x in cols.items()}
    cols["kernel"] = np.array(cols["kernel"], dtype=object)
    # ASCII here, UTF-8 in the n table: h5py reads both as bytes, the tool must cope.
    write_table(path, cols, h5py.string_dtype("ascii"))
    return cols


class FitPowerLaw(unittest.TestCase):
    def test_noise_free_data_give_the_exact_slope(self):
        # Repeated x (two seeds) are separate points; the check is to rounding error.
        n = np.repeat(np.array(NS, dtype=float), 2)
        eps = 1.0 / np.array(LATTICES, dtype=float)
        for x, p, c in ((n, -0.5, 0.3), (eps, 2.0, 3.0), (n, -1.0, 1e-3)):
            y = c * x ** p
            for stderr in (0.03 * y, None):
                fit = fit_rates.fit_power_law(x, y, stderr)
                self.assertLessEqual(abs(fit["slope"] - p), 1e-12, (p, stderr is None))
                self.assertLessEqual(abs(fit["prefactor"] / c - 1), 1e-12)
                self.assertEqual(fit["points"], x.size)
                self.assertEqual(fit["weighted"], stderr is not None)
                self.assertLessEqual(fit["ci_low"], fit["ci_high"])

    def test_agrees_with_numpy_polyfit(self):
        rng = np.random.default_rng(7)
        x = np.array(NS, dtype=float)
        y = 0.3 * x ** -0.5 * (1 + 0.05 * rng.standard_normal(x.size))
        u, v = np.log(x), np.log(y)
        # Weighted: polyfit's unscaled covariance, widened by sqrt(chi2/dof). The stderr
        # here understate the scatter, so that the widening shows.
        sigma = 0.01 * y
        (p, a), cov = np.polyfit(u, v, 1, w=y / sigma, cov="unscaled")
        chi2 = np.sum(((v - a - p * u) * y / sigma) ** 2) / (x.size - 2)
        self.assertGreater(chi2, 1)
        fit = fit_rates.fit_power_law(x, y, sigma)
        self.assertAlmostEqual(fit["slope"], p, delta=1e-12)
        self.assertAlmostEqual(fit["prefactor"], np.exp(a), delta=1e-12)
        self.assertAlmostEqual(fit["reduced_chi2"], chi2, delta=1e-9 * chi2)
        self.assertAlmostEqual(fit["stderr_slope"], np.sqrt(cov[0, 0] * chi2), delta=1e-12)
        half = 1.959963984540054 * fit["stderr_slope"]
        self.assertAlmostEqual(fit["ci_high"] - fit["slope"], half, delta=1e-12)
        # Consistent data (chi2 < 1) do not narrow the interval.
        fit = fit_rates.fit_power_law(x, y, 100 * sigma)
        self.assertLess(fit["reduced_chi2"], 1)
        self.assertAlmostEqual(fit["stderr_slope"], np.sqrt(cov[0, 0]) * 100, delta=1e-9)
        # Unweighted: polyfit's covariance scaled by the residuals, Student-t on 4 dof.
        (p, a), cov = np.polyfit(u, v, 1, cov=True)
        fit = fit_rates.fit_power_law(x, y, level=0.9)
        self.assertAlmostEqual(fit["slope"], p, delta=1e-12)
        self.assertAlmostEqual(fit["stderr_slope"], np.sqrt(cov[0, 0]), delta=1e-12)
        self.assertAlmostEqual(fit["ci_high"] - fit["slope"], 2.13184678133629 *
                               fit["stderr_slope"], delta=1e-12)

    def test_refusals(self):
        f = fit_rates.fit_power_law
        two = np.array([1.0, 2.0])
        self.assertRaisesRegex(ValueError, "needs 3", f, two, two)
        self.assertRaisesRegex(ValueError, "needs 2", f, two[:1], two[:1], two[:1])
        fit = f(two, two, 0.1 * two)  # two points with stderr: a fit, chi2 undefined
        self.assertAlmostEqual(fit["slope"], 1.0, delta=1e-12)
        self.assertTrue(np.isnan(fit["reduced_chi2"]))
        self.assertRaisesRegex(ValueError, "single value", f, [3.0] * 4, [1.0, 2, 3, 4])
        self.assertRaisesRegex(ValueError, "positive", f, [1.0, 2, 3], [1.0, 0, 3])
        self.assertRaisesRegex(ValueError, "stderr", f, [1.0, 2, 3], [1.0, 2, 3],
                               [0.1, np.nan, 0.1])

    # Coverage of the 95% interval over 1000 synthetic data sets (fixed seed, so the test
    # is deterministic; the figures below are the chance that a seed makes a correct fit
    # fail). Accepted: 920 to 980 covering, i.e. 0.92 to 0.98.
    # - Weighted, 12 points (10 dof), correct stderr: the interval is widened by
    #   sqrt(max(1, chi2/dof)) and never narrowed, so it covers a little more than 95%:
    #   q = P(|Z| <= 1.96 sqrt(max(1, X/10))), X ~ chi2(10), Z ~ N(0,1) independent,
    #   = 0.9608 (numerical integration; 20000 simulated data sets gave 0.9612).
    #   P(Binomial(1000, 0.9608) outside [920, 980]) = 2.2e-4.
    # - Unweighted, 5 points (3 dof), Student-t: exact 0.95 for Gaussian noise in log y
    #   (here 1 + 4% noise, practically the same: 20000 data sets gave 0.9523).
    #   P(Binomial(1000, 0.95) outside [920, 980]) = 2.1e-5.
    # Both together: a false failure with probability below 2.5e-4.
    SETS = 1000

    def coverage(self, x, p, c, rel, weighted, seed):
        rng = np.random.default_rng(seed)
        covered = 0
        for _ in range(self.SETS):
            truth = c * x ** p
            y = truth * (1 + rel * rng.standard_normal(x.size))
            fit = fit_rates.fit_power_law(x, y, rel * truth if weighted else None)
            covered += fit["ci_low"] <= p <= fit["ci_high"]
        return covered / self.SETS

    def test_weighted_interval_coverage(self):
        x = np.repeat(np.array(NS, dtype=float), 2)
        rel = np.tile([REL[s] for s in SEEDS], len(NS))
        q = self.coverage(x, -0.5, PREFACTOR, rel, True, 20240601)
        print(f"[ measured ] weighted 95% CI coverage over {self.SETS} sets: {q:.3f} "
              "(expected 0.961)")
        self.assertGreaterEqual(q, 0.92)
        self.assertLessEqual(q, 0.98)

    def test_unweighted_interval_coverage(self):
        x = 1.0 / np.array(LATTICES, dtype=float)
        q = self.coverage(x, EPS_SLOPE, EPS_PREFACTOR, EPS_REL, False, 20240602)
        print(f"[ measured ] unweighted 95% CI coverage over {self.SETS} sets: {q:.3f} "
              "(expected 0.950)")
        self.assertGreaterEqual(q, 0.92)
        self.assertLessEqual(q, 0.98)


class CommandLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARGS.tmpdir, exist_ok=True)
        cls.dir = tempfile.mkdtemp(prefix="fit-rates-", dir=ARGS.tmpdir)
        rng = np.random.default_rng(12345)
        cls.n_path = os.path.join(cls.dir, "n.h5")
        cls.eps_path = os.path.join(cls.dir, "eps.h5")
        cls.n_cols = n_table(cls.n_path, rng)
        cls.eps_cols = eps_table(cls.eps_path, rng)

    def tool(self, *args):
        # sys.executable: the interpreter ctest runs this with (Debian's, which has h5py).
        return subprocess.run([sys.executable, os.path.join(ARGS.tools_dir, "fit_rates.py"),
                               *args], capture_output=True, text=True, timeout=120)

    def fit_json(self, *args):
        r = self.tool(*args, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout), r.stderr

    def expected(self, cols, y, x, t, **where):
        """The fit on the rows the filters should pick, found here independently."""
        keep = np.asarray(cols["t"]) == t
        for k, value in where.items():
            keep &= np.asarray(cols[k]) == value
        yv = cols[y][keep]
        keep_y = np.isfinite(yv)
        stderr = fit_rates.stderr_column(y)
        s = cols[stderr][keep][keep_y] if stderr in cols else None
        return fit_rates.fit_power_law(cols[x][keep][keep_y].astype(float), yv[keep_y], s)

    def assert_same_fit(self, got, want):
        for k in ("slope", "ci_low", "ci_high", "stderr_slope", "prefactor"):
            self.assertAlmostEqual(got[k], want[k], delta=1e-12 * max(1, abs(want[k])), msg=k)
        self.assertEqual(got["points"], want["points"])
        self.assertEqual(got["weighted"], want["weighted"])

    def test_filters_and_default_time(self):
        y = "sde/metrics/bl_plus/mean"
        got, _ = self.fit_json(self.n_path, "--y", y, "--x", "n", "--where", "delta=0.0625",
                               "--where", "kernel=gaussian")
        self.assertEqual(got["t"], 1.0)  # the largest time by default
        self.assertEqual(got["points"], 2 * len(NS))  # both seeds kept as points
        self.assertTrue(got["weighted"])
        self.assert_same_fit(got, self.expected(self.n_cols, y, "n", 1.0, delta=0.0625,
                                                kernel="gaussian"))
        # Against the truth: 5 standard errors, a false failure about once in 2e6.
        self.assertLess(abs(got["slope"] + 0.5), 5 * got["stderr_slope"])
        self.assertIsNotNone(got["reduced_chi2"])
        for k in ("x", "y", "t", "slope", "ci_low", "ci_high", "stderr_slope", "prefactor",
                  "points", "reduced_chi2", "weighted"):
            self.assertIn(k, got)
        # Numbers match to a relative 1e-9, not exactly; a seed filter keeps one seed.
        close, _ = self.fit_json(self.n_path, "--y", y, "--x", "n", "--where",
                                 "delta=0.06250000000001", "--where", "kernel=gaussian",
                                 "--where", "seed=1")
        self.assertEqual(close["points"], len(NS))

    def test_nearest_time(self):
        y = "sde/metrics/bl_plus/mean"
        got, err = self.fit_json(self.n_path, "--y", y, "--x", "n", "--t", "0.6", "--where",
                                 "delta=0.0625", "--where", "kernel=gaussian")
        self.assertEqual(got["t"], 0.5)
        self.assertIn("nearest", err)
        self.assert_same_fit(got, self.expected(self.n_cols, y, "n", 0.5, delta=0.0625,
                                                kernel="gaussian"))
        self.assertLess(abs(got["slope"] + 0.3), 5 * got["stderr_slope"])

    def test_eps_study_is_unweighted(self):
        y = "exact2/l2_law_distance"
        got, _ = self.fit_json(self.eps_path, "--y", y, "--x", "eps", "--t", "1",
                               "--where", "n=1000", "--where", "kernel=gaussian")
        self.assertFalse(got["weighted"])
        self.assertIsNone(got["reduced_chi2"])  # NaN in the fit: null in JSON
        self.assertEqual(got["points"], len(LATTICES))
        self.assert_same_fit(got, self.expected(self.eps_cols, y, "eps", 1.0))
        self.assertLess(abs(got["slope"] - EPS_SLOPE), 5 * got["stderr_slope"])

    def test_stderr_column_naming_and_nan_rows(self):
        # .../l2_plus pairs with .../l2_plus_stderr.
        got, _ = self.fit_json(self.n_path, "--y", "sde/law/l2_plus", "--x", "n",
                               "--where", "delta=0.125")
        self.assertTrue(got["weighted"])
        self.assertEqual(got["points"], 2 * len(NS))
        # The seed-2 rows have NaN: dropped, with a note.
        got, err = self.fit_json(self.n_path, "--y", "rw/metrics/w1_minus/mean", "--x", "n",
                                 "--where", "delta=0.0625", "--where", "kernel=gaussian")
        self.assertEqual(got["points"], len(NS))
        self.assertIn(f"dropped {len(NS)} row(s)", err)

    def test_human_output_and_plot(self):
        fig = os.path.join(self.dir, "fig.png")
        r = self.tool(self.n_path, "--y", "sde/metrics/bl_plus/mean", "--x", "n",
                      "--where", "delta=0.0625", "--where", "kernel=gaussian",
                      "--plot", fig, "--reference-slope", "-0.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        print(r.stdout, end="")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2 + 2 * len(NS) + 1)  # title, header, points, fit
        self.assertRegex(lines[-1], r"^slope p = -0\.\d{4} \+- 0\.\d{4} \(95% CI "
                                    r"\[-0\.\d{4}, -0\.\d{4}\]\), prefactor \S+, 12 points, "
                                    r"reduced chi2 \d+\.\d\d$")
        with open(fig, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(fig), 1000)

    def assert_fails(self, args, *words):
        r = self.tool(*args)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)

    def test_errors(self):
        n = self.n_path
        self.assert_fails([n, "--y", "sde/metrics/nope/mean", "--x", "n"],
                          n, "sde/metrics/nope/mean", "available", "sde/metrics/bl_plus/mean")
        self.assert_fails([n, "--y", "sde/metrics/bl_plus/mean", "--x", "N"], "'N'",
                          "available")
        # Two seeds at one n, no stderr column: 2 points, an unweighted fit needs 3.
        self.assert_fails([n, "--y", "mf/mass_plus", "--x", "n", "--where", "n=100",
                           "--where", "delta=0.0625", "--where", "kernel=gaussian"],
                          n, "mf/mass_plus", "2 point(s)", "needs 3")
        # One point with stderr: a weighted fit needs 2.
        self.assert_fails([n, "--y", "sde/metrics/bl_plus/mean", "--x", "n", "--where",
                           "n=100", "--where", "seed=1", "--where", "delta=0.0625",
                           "--where", "kernel=gaussian"], "1 point(s)", "needs 2")
        # Every row NaN after the filters (exact2 is not in the n study).
        self.assert_fails([n, "--y", "exact2/l2_law_distance", "--x", "n"],
                          "no rows left", "NaN")
        self.assert_fails([n, "--y", "mf/mass_plus", "--x", "n", "--where", "delta=0.5"],
                          "no rows left", "delta=0.5")
        self.assert_fails([n, "--y", "mf/mass_plus", "--x", "n", "--where", "colour=red"],
                          "'colour'", "available")
        self.assert_fails([n, "--y", "mf/mass_plus", "--x", "n", "--where", "n=many"],
                          "numeric")
        missing = os.path.join(self.dir, "missing.h5")
        self.assert_fails([missing, "--y", "mf/mass_plus", "--x", "n"], missing,
                          "no such file")
        junk = os.path.join(self.dir, "junk.h5")
        with open(junk, "w") as f:
            f.write("not HDF5\n")
        self.assert_fails([junk, "--y", "mf/mass_plus", "--x", "n"], junk)


def main():
    global ARGS, fit_rates
    ap = argparse.ArgumentParser()
    ap.add_argument("tools_dir", help="folder holding fit_rates.py")
    ap.add_argument("tmpdir", help="scratch folder for the synthetic tables")
    ARGS, rest = ap.parse_known_args()
    sys.path.insert(0, os.path.abspath(ARGS.tools_dir))
    sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
    import fit_rates as module  # noqa: E402 (its folder is known only now)

    fit_rates = module
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
