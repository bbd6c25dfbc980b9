#!/usr/bin/python3
"""End-to-end tests of the dislo executable (run by ctest with Debian's python3)."""
import argparse
import json
import re
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
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
            # Provenance of the binary that ran: the sources' commit, "-dirty" with changes
            # to tracked files (taken at build time; ctest runs after the build).
            source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
            head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=source,
                                  capture_output=True, text=True)
            revision = a.attrs["git_revision"]
            if head.returncode != 0:
                self.assertEqual(revision, "unknown")
            else:
                self.assertRegex(revision, "^" + head.stdout.strip() + "(-dirty|-unknown-state)?$")

    def test_transposes_by_messages_give_the_same_bits(self):
        # Within one node the grids transpose through shared memory; -dislo_transpose
        # messages forces FFTW-MPI's transposes (docs/scaling.md). Same bits either way.
        outs = {}
        for mode in ("auto", "messages"):
            out = os.path.join(self.dir, f"{mode}.h5")
            r = run([ARGS.dislo, "run", self.study, "-o", out, "-dislo_transpose", mode],
                    self.dir, 2)
            self.assertEqual(r.returncode, 0, r.stderr)
            outs[mode] = out
        with h5py.File(outs["auto"]) as a, h5py.File(outs["messages"]) as b:
            for name in ("mf/rho_plus", "mf/rho_minus", "mfeps/rho_plus", "mfeps/rho_minus"):
                self.assertEqual(a[name][...].tobytes(), b[name][...].tobytes(), name)
        r = run([ARGS.dislo, "run", self.study, "-o", os.path.join(self.dir, "bad.h5"),
                 "-dislo_transpose", "pigeon"], self.dir, 2)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("-dislo_transpose pigeon: valid values are auto, shared and messages",
                      r.stderr)

    def test_petsc_options_reach_the_time_stepper(self):
        out = os.path.join(self.dir, "rk.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "-ts_type", "rk", "-ts_monitor"],
                self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("TS dt", r.stdout)
        with h5py.File(out) as f:
            self.assertEqual(f["mf"].attrs["ts_type"], "rk")

    def test_unused_petsc_options_are_reported(self):
        out = os.path.join(self.dir, "options.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "-ts_monitr", "-ts_rtol", "1e-7",
                 "-no_such_option"], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("PETSc option -ts_monitr was not used (did you mean -ts_monitor?)", r.stderr)
        self.assertIn("PETSc option -no_such_option was not used\n", r.stderr)
        self.assertNotIn("-ts_rtol was not used", r.stderr)
        # The options are recorded with the run, and the tolerance they set is the one used.
        with h5py.File(out, "r") as f:
            options = [l for l in f.attrs["study"].splitlines() if l.startswith("# PETSc options:")]
            self.assertEqual(len(options), 1, f.attrs["study"])
            for given in ("-ts_monitr", "-ts_rtol 1e-7", "-no_such_option"):
                self.assertIn(given, options[0])
            self.assertEqual(f["mf"].attrs["rtol"], 1e-7)
            self.assertEqual(f["mfeps"].attrs["rtol"], 1e-7)
        strict = run([ARGS.dislo, "run", self.study, "-o", os.path.join(self.dir, "strict.h5"),
                      "--strict", "-ts_monitr"], self.dir, 2)
        self.assertEqual(strict.returncode, 2, strict.stderr)
        self.assertIn("1 unused PETSc option with --strict", strict.stderr)

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

    def test_unused_settings_warn_and_strict_refuses(self):
        # The SMALL study runs MF and MFeps: [sde] and run.replicas would be ignored.
        extra = ["--set", "sde.dt=0.001", "--set", "run.replicas=8"]
        out = os.path.join(self.dir, "unused.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out] + extra, self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('[sde] is set (dt) but run.models has no "sde"', r.stderr)
        self.assertIn('run.replicas is set but run.models has no "sde" or "rw"', r.stderr)
        for strict in (["--strict"], ["--set", "run.strict=true"]):
            out = os.path.join(self.dir, "strict.h5")
            r = run([ARGS.dislo, "run", self.study, "-o", out] + extra + strict, self.dir, 0)
            self.assertEqual(r.returncode, 2, (strict, r.stderr))
            self.assertIn("2 warnings with --strict", r.stderr)
            self.assertFalse(os.path.exists(out))

    def test_resolved_choices_are_recorded_and_repeat_the_run(self):
        # sde.dt and sde.force = "auto": dislo check prints what they resolve to, the output
        # records it (study attribute comments, /sde attributes), and a run with those
        # values written out gives the same bits.
        sde = ["--set", 'run.models=["sde"]', "--set", "model.n=40", "--set", "run.replicas=2",
               "--set", 'metrics.kinds=["hs"]']
        check = run([ARGS.dislo, "check", self.study] + sde, self.dir, 0)
        self.assertEqual(check.returncode, 0, check.stderr)
        auto = os.path.join(self.dir, "auto.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", auto] + sde, self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(auto, "r") as f:
            dt, force = float(f["sde"].attrs["dt"]), f["sde"].attrs["force"]
            force = force.decode() if isinstance(force, bytes) else force
            self.assertIn(f"# sde.dt = {dt!r}  # auto", f.attrs["study"])
            auto_values = f["sde/metrics/hs_plus/values"][...]
        self.assertIn(f"# sde.dt = {dt!r}  # auto", check.stdout)
        self.assertIn(f'# sde.force = "{force}"  # auto', check.stdout)
        fixed = os.path.join(self.dir, "fixed.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", fixed] + sde +
                ["--set", f"sde.dt={dt!r}", "--set", f'sde.force="{force}"'], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(fixed, "r") as f:
            np.testing.assert_array_equal(f["sde/metrics/hs_plus/values"][...], auto_values)

    def test_output_path_is_checked_before_any_work(self):
        out = os.path.join(self.dir, "first.h5")
        self.assertEqual(run([ARGS.dislo, "run", self.study, "-o", out], self.dir, 0).returncode, 0)
        before = os.stat(out).st_mtime_ns
        cases = [([], out, "exists; pass --overwrite"),
                 ([], self.dir, "is a directory"),
                 ([], "/proc/dislo-test/out.h5", "cannot write in /proc")]
        for extra, path, needle in cases:
            r = run([ARGS.dislo, "run", self.study, "-o", path] + extra, self.dir, 2)
            self.assertEqual(r.returncode, 2, (path, r.stderr))
            errors = [l for l in r.stderr.splitlines() if "dislo: error" in l]
            self.assertEqual(len(errors), 1, r.stderr)
            self.assertIn(needle, errors[0])
            self.assertNotIn("mf: t =", r.stdout)  # refused before solving anything
        self.assertEqual(os.stat(out).st_mtime_ns, before)
        for replace in (["--overwrite"], ["--set", "run.overwrite=true"]):
            r = run([ARGS.dislo, "run", self.study, "-o", out] + replace, self.dir, 0)
            self.assertEqual(r.returncode, 0, r.stderr)
        nested = os.path.join(self.dir, "new", "deeper", "out.h5")
        self.assertEqual(run([ARGS.dislo, "run", self.study, "-o", nested], self.dir, 0).returncode, 0)
        self.assertTrue(os.path.exists(nested))

    def test_output_size_is_predicted_and_checked_against_the_room(self):
        # The prediction bounds the file from above, within 2x and the metadata allowance...
        sets = ["--set", 'run.models=["mf", "mfeps", "sde", "rw"]', "--set", "run.replicas=4",
                "--set", "model.n=40", "--set", "mf.M=128", "--set", "model.lattice=64",
                "--set", "run.times=[0.0, 0.025, 0.05, 0.075, 0.1]"]
        out = os.path.join(self.dir, "sized.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out] + sets, self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        size = os.path.getsize(out)
        with h5py.File(out, "r") as f:
            predicted = int(f["summary"].attrs["predicted_output_bytes"])
        self.assertLessEqual(size, predicted)
        self.assertLessEqual(predicted, 2 * size + 1.1 * 2**20)
        # ... and a run that cannot fit under the file-size limit is refused before any work.
        # (MPI's start-up writes a few MB itself: the limit leaves it that.)
        limit = 64 * 2**20
        big = sets + ["--set", "mf.M=1024"]  # 84 MB of MF fields
        r = subprocess.run(
            [ARGS.dislo, "run", self.study, "-o", os.path.join(self.dir, "big.h5")] + big,
            cwd=self.dir, capture_output=True, text=True, timeout=300,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("the output needs about", r.stderr)
        self.assertIn("file-size limit (ulimit -f)", r.stderr)
        self.assertNotIn("mf: t =", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "big.h5")))

    def predicted_memory(self, sets, env=None):
        r = subprocess.run([ARGS.dislo, "check", self.study] + sets, cwd=self.dir,
                           capture_output=True, text=True, timeout=300, env=env)
        total = [line for line in r.stdout.splitlines()
                 if line.startswith("# memory per rank: total")]
        return r, float(total[0].split()[5]) if total else None  # MB

    def peak_rss_mb(self, sets):
        """dislo run on one rank (no mpiexec); the peak resident memory of that process."""
        out = os.path.join(self.dir, "rss.h5")
        p = subprocess.Popen([ARGS.dislo, "run", self.study, "-o", out, "--overwrite"] + sets,
                             cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        errors = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.returncode, 0, errors)
        return usage.ru_maxrss / 1024.0

    def check_sweep_forecast(self):
        """A sweep's check: the memory of its largest point, every point's forecast, the sum."""
        r = subprocess.run([ARGS.dislo, "check", self.study, "--set", 'run.models=["sde"]',
                            "--set", "sweep.n=[100, 20000, 400]"],
                           cwd=self.dir, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("# memory of sweep point 1 (the largest):", r.stdout)
        seconds = {int(m[0]): float(m[1]) for m in
                   re.findall(r"^#   point (\d+): sde ~(\d+) s$", r.stdout, re.MULTILINE)}
        self.assertEqual(sorted(seconds), [0, 1, 2], r.stdout)
        self.assertGreater(seconds[1], seconds[2])  # 20000 particles against 400
        self.assertGreaterEqual(seconds[2], seconds[0])
        total = re.search(r"^# forecast for the 3 points: ~(\d+) s", r.stdout, re.MULTILINE)
        self.assertIsNotNone(total, r.stdout)
        self.assertAlmostEqual(float(total.group(1)), sum(seconds.values()), delta=1)

    def test_memory_is_predicted_and_a_study_that_cannot_fit_is_refused(self):
        # The prediction against the measured peak of the process, for each part alone at a
        # size where it dominates: within [0.8, 2] (docs/hpc.md, "Memory"). The constants
        # are those of a Release build; a sanitizer's shadow memory is not in them.
        info = run([ARGS.dislo, "info"], self.dir, 0).stdout
        release = "build type: Release" in info
        short = ["--set", "model.T=0.001", "--set", "run.times=[0.0, 0.001]"]
        cases = {
            "mf": ["--set", 'run.models=["mf"]', "--set", "mf.M=1024"],
            "mfeps": ["--set", 'run.models=["mfeps"]', "--set", "model.lattice=1024"],
            "sde": ["--set", 'run.models=["sde"]', "--set", "model.n=400000",
                    "--set", "run.replicas=1", "--set", "model.T=1e-5",
                    "--set", "run.times=[0.0, 1e-5]"],
        }
        for name, sets in cases.items():
            sets = short + sets
            r, predicted = self.predicted_memory(sets)
            self.assertEqual(r.returncode, 0, r.stderr)
            if name == "sde":  # and the ensemble's forecast at the benchmark throughputs
                self.assertIn("# forecast on 1 rank: sde ~", r.stdout)
                self.check_sweep_forecast()
            if not release:
                continue
            measured = self.peak_rss_mb(sets)
            print(f"memory {name}: predicted {predicted:.0f} MB, peak {measured:.0f} MB")
            self.assertGreaterEqual(predicted, 0.8 * measured, name)
            self.assertLessEqual(predicted, 2 * measured, name)
        # What no node holds is refused by check and by run, naming the key, before any work.
        # (2e9 sites need more than 2^64 bytes: no wrap-around to "fits".)
        for key, value in (("mf.M", 100000), ("model.lattice", 1000000),
                           ("model.lattice", 2000000000)):
            for command in ("check", "run"):
                out = ["-o", os.path.join(self.dir, "huge.h5")] if command == "run" else []
                r = run([ARGS.dislo, command, self.study, "--set", f"{key}={value}"] + out,
                        self.dir, 0)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(f"{key} = {value}", r.stderr)
                self.assertIn("available per rank", r.stderr)
                self.assertNotIn("mf: t =", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "huge.h5")))
        # A node's share given by DISLO_MEMORY_PER_RANK: the same study fits or not.
        env = dict(os.environ, DISLO_MEMORY_PER_RANK="200M")
        r, predicted = self.predicted_memory(cases["mf"], env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("of 200 MB available per rank", r.stdout)
        env["DISLO_MEMORY_PER_RANK"] = "1G"
        self.assertEqual(self.predicted_memory(cases["mf"], env)[0].returncode, 0)
        env["DISLO_MEMORY_PER_RANK"] = "lots"
        r = self.predicted_memory(cases["mf"], env)[0]
        self.assertEqual(r.returncode, 2)
        self.assertIn("DISLO_MEMORY_PER_RANK", r.stderr)

    def test_temporary_output_of_a_killed_run_is_reported_and_replaced(self):
        # A run killed by SIGKILL leaves OUT.h5.tmp-HOST-PID-TIME; the next run on this host
        # removes it (its writer is gone) and says so; nothing is mistaken for a result.
        out = os.path.join(self.dir, "killed.h5")
        long_run = subprocess.Popen(
            [ARGS.dislo, "run", self.study, "-o", out, "--set", 'run.models=["mf"]',
             "--set", "mf.M=1024", "--set", "mf.rtol=1e-9", "--set", "model.T=10"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        temporaries = []
        for _ in range(600):  # the event: the temporary output exists
            temporaries = [p for p in os.listdir(self.dir) if p.startswith("killed.h5.tmp-")]
            if temporaries or long_run.poll() is not None:
                break
            time.sleep(0.05)
        long_run.kill()
        long_run.wait()
        self.assertEqual(len(temporaries), 1, os.listdir(self.dir))
        self.assertFalse(os.path.exists(out))
        # A temporary of a live process on this host (this test's) is left alone.
        alive = os.path.join(self.dir, f"killed.h5.tmp-{socket.gethostname()}-{os.getpid():x}-1")
        open(alive, "w").close()
        r = run([ARGS.dislo, "run", self.study, "-o", out], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"removed {os.path.join(self.dir, temporaries[0])}", r.stderr)
        self.assertIn("left alone", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, temporaries[0])))
        self.assertTrue(os.path.exists(alive))
        with h5py.File(out, "r") as f:  # the new run's result is whole
            self.assertIn("summary", f)

    def test_failed_run_leaves_no_output(self):
        out = os.path.join(self.dir, "fail.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out, "-ts_type", "no_such_type"], self.dir)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([p for p in os.listdir(self.dir) if p.startswith("fail")], [])

    def test_quiet_run_prints_nothing_and_a_run_ends_with_its_summary_table(self):
        out = os.path.join(self.dir, "talk.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", out], self.dir, 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("mf: t = ", r.stdout)  # progress per output time
        table = r.stdout[r.stdout.index("done in "):].splitlines()
        self.assertEqual(table[1].split(), ["phase", "seconds", "share"])
        rows = {line.split()[0]: line.split()[1:] for line in table[2:]}
        self.assertIn("mf", rows)
        self.assertIn("mfeps", rows)
        self.assertIn("total", rows)
        shares = [float(v[1].rstrip("%")) for k, v in rows.items() if k != "total"]
        self.assertLessEqual(sum(shares), 100.5)  # phases are parts of the wall time
        quiet = os.path.join(self.dir, "quiet.h5")
        r = run([ARGS.dislo, "run", self.study, "-o", quiet, "--quiet"], self.dir, 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        self.check_contract(quiet)
        # Bad input is still reported under --quiet.
        r = run([ARGS.dislo, "run", self.study, "-o", quiet, "--quiet"], self.dir, 1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("exists", r.stderr)

    def test_info(self):
        r = run([ARGS.dislo, "info"], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("dislo", "git revision", "PETSc", "HDF5", "FFTW", "build type", "compiler: ",
                     "flags: ", "found PETSc: /", "found HDF5: /", "found FFTW: /"):
            self.assertIn(word, r.stdout)
        # PETSc's index size and scalar type, as the library reports them.
        self.assertRegex(r.stdout, r"PETSc: \d+\.\d+\.\d+ \((32|64)-bit indices, (real|complex) scalars\)")

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

    def test_built_in_study_is_examples_default(self):
        # `dislo run` without a study runs examples/default.toml, compiled in: the same
        # resolved points, and the same bytes for one reduced point, which meets the contract.
        default = os.path.join(ARGS.source, "examples", "default.toml")
        built_in, from_file = (run([ARGS.dislo, "check"] + where, self.dir, 0)
                               for where in ([], [default]))
        for r in (built_in, from_file):
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sweep of 3 points", built_in.stdout)
        study = [r.stdout.split("[model]", 1)[1].split("\n# memory", 1)[0]
                 for r in (built_in, from_file)]
        self.assertEqual(study[0], study[1])
        reduced = ["--sweep-index", "0", "--set", "run.replicas=2", "--set", "mf.M=32",
                   "--set", "model.lattice=32", "--set", "run.times=[0.0, 0.05]",
                   "--set", "model.T=0.05", "--quiet"]
        outs = [os.path.join(self.dir, f"{name}.h5") for name in ("built-in", "file")]
        for where, out in zip(([], [default]), outs):
            r = run([ARGS.dislo, "run"] + where + ["-o", out] + reduced, self.dir, 2)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.check_contract(outs[0])
        with h5py.File(outs[0]) as a, h5py.File(outs[1]) as b:
            self.assertEqual(a.attrs["n"], 4)
            for name in ("mf/rho_plus", "mfeps/rho_minus", "sde/metrics/w1_plus/mean",
                         "rw/metrics/bl_minus/upper", "sde/chaos/coupling/mean",
                         "rw/chaos/veto/mean", "rw/chaos/thinning/mean", "sde/law/pair_opposite"):
                self.assertEqual(a[name][...].tobytes(), b[name][...].tobytes(), name)

    def test_sweep_all_points_equal_single_points_and_collect(self):
        study = os.path.join(self.dir, "sweep.toml")
        with open(study, "w") as f:
            f.write(SMALL.replace('models = ["mf", "mfeps"]',
                                  'models = ["mf", "sde"]\nreplicas = 3')
                    + '[metrics]\nkinds = ["w1", "hs"]\n'
                    + '[sweep]\nn = [12, 24]\ndelta = [0.125, 0.25]\n')
        table = os.path.join(self.dir, "table.h5")
        r = run([ARGS.dislo, "run", study, "-o", table], self.dir, 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        points = [os.path.join(self.dir, f"table-{i}.h5") for i in range(4)]
        for p in points:
            self.check_contract(p)
        # Product order: delta fastest. Point 2 alone (another rank count, another name)
        # gives the same bytes as the same point run within the whole sweep.
        single = os.path.join(self.dir, "single.h5")
        r = run([ARGS.dislo, "run", study, "--sweep-index", "2", "-o", single], self.dir, 1)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(points[2]) as a, h5py.File(single) as b:
            self.assertEqual((a.attrs["sweep_index"], a.attrs["sweep_points"]), (2, 4))
            self.assertEqual((a.attrs["n"], a.attrs["delta"]), (24, 0.125))
            for name in ("mf/rho_plus", "sde/metrics/w1_plus/mean", "sde/metrics/hs_minus/stderr",
                         "sde/law/rho_plus"):
                self.assertEqual(a[name][...].tobytes(), b[name][...].tobytes(), name)
        # The table: one row per (point, time), values at the runs' own paths.
        with h5py.File(table) as t:
            self.assertEqual(t.attrs["rows"], 12)
            np.testing.assert_array_equal(t["point"][...], np.repeat([0, 1, 2, 3], 3))
            np.testing.assert_array_equal(t["n"][...], np.repeat([12, 12, 24, 24], 3))
            np.testing.assert_array_equal(t["delta"][...], np.repeat([0.125, 0.25] * 2, 3))
            np.testing.assert_array_equal(t["t"][...], np.tile([0.0, 0.05, 0.1], 4))
            np.testing.assert_array_equal(t["eps"][...], np.full(12, 1 / 32))
            self.assertEqual({k.decode() if isinstance(k, bytes) else k for k in t["kernel"][...]},
                             {"gaussian"})
            np.testing.assert_array_equal(t["sde/replicas"][...], np.full(12, 3))
            for i, p in enumerate(points):
                with h5py.File(p) as f:
                    for name in ("sde/metrics/w1_plus/mean", "mf/mass_minus", "sde/law/l2_plus"):
                        np.testing.assert_array_equal(t[name][3 * i:3 * i + 3], f[name][...])
        # Resume keeps finished points (their files untouched).
        before = os.stat(points[0]).st_mtime_ns
        r = run([ARGS.dislo, "run", study, "-o", table, "--resume"], self.dir, 1)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("finished before, kept", r.stdout)
        self.assertEqual(os.stat(points[0]).st_mtime_ns, before)
        # collect by hand gives the same table; bad inputs exit 2 with one line.
        again = os.path.join(self.dir, "again.h5")
        r = run([ARGS.dislo, "collect"] + points + ["-o", again], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(table) as a, h5py.File(again) as b:
            self.assertEqual(sorted(a.keys()), sorted(b.keys()))
            np.testing.assert_array_equal(a["sde/metrics/hs_plus/mean"][...],
                                          b["sde/metrics/hs_plus/mean"][...])
        # collect --sweep reads the points the study names (here its run.output set to
        # the table); -o names only the table it writes.
        elsewhere = os.path.join(self.dir, "elsewhere.h5")
        r = run([ARGS.dislo, "collect", "--sweep", study, "--set", f"run.output={table!r}".replace("'", '"'),
                 "-o", elsewhere], self.dir, 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(table) as a, h5py.File(elsewhere) as b:
            np.testing.assert_array_equal(a["sde/metrics/hs_plus/mean"][...],
                                          b["sde/metrics/hs_plus/mean"][...])
        # A point not run yet is named with the command that runs it.
        os.rename(points[1], points[1] + ".away")
        r = run([ARGS.dislo, "collect", "--sweep", study, "--set", f"run.output={table!r}".replace("'", '"'),
                 "-o", os.path.join(self.dir, "partial.h5")], self.dir, 0)
        os.rename(points[1] + ".away", points[1])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"points not run yet: {points[1]} (dislo run {study} --sweep-index 1)", r.stderr)
        for args, needle in ((points[:1] * 2, "listed twice"), ([study], "not an HDF5 file"),
                             ([os.path.join(self.dir, "none.h5")], "no such file")):
            bad = os.path.join(self.dir, "bad-table.h5")
            r = run([ARGS.dislo, "collect"] + args + ["-o", bad], self.dir, 0)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)
            self.assertFalse(os.path.exists(bad))
        r = run([ARGS.dislo, "run", study, "--sweep-index", "4"], self.dir, 0)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--sweep-index 4: the sweep has 4 points (0 to 3)", r.stderr)
        r = run([ARGS.dislo, "run", self.study, "--sweep-index", "0"], self.dir, 0)
        self.assertEqual(r.returncode, 2)
        self.assertIn("the study has no [sweep]", r.stderr)
        # The fit tool reads the table.
        tool = os.path.join(ARGS.source, "tools", "fit_rates.py")
        p = subprocess.run([sys.executable, tool, table, "--y", "sde/metrics/w1_plus/mean",
                            "--x", "n", "--where", "delta=0.125", "--json"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        fit = json.loads(p.stdout)
        self.assertEqual((fit["points"], fit["weighted"], fit["t"]), (2, True, 0.1))

    def test_exact_two_particle_laws_meet_contract(self):
        study = os.path.join(self.dir, "exact2.toml")
        with open(study, "w") as f:
            f.write("[model]\nn = 2\nn_plus = 1\nlattice = 16\ndelta = 0.125\nbeta = 4.0\n"
                    "T = 0.05\n[initial]\nkind = \"cosine\"\n[run]\nmodels = [\"exact2\"]\n"
                    "times = [0.0, 0.025, 0.05]\n")
        out = os.path.join(self.dir, "exact2.h5")
        r = run([ARGS.dislo, "run", study, "-o", out], self.dir, 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_contract(out)
        with h5py.File(out) as f:
            d = f["exact2/l2_law_distance"][...]
            self.assertLess(d[0], 1e-12)  # the same initial law on the lattice
            self.assertTrue(np.all(d[1:] > 1e-4))
            self.assertEqual(f["exact2"].attrs["fokker_planck_grid"], 64)
        r = run([ARGS.dislo, "check", study, "--set", "model.n=3"], self.dir, 0)
        self.assertEqual(r.returncode, 2)
        self.assertIn('"exact2" needs model.n = 2 (is 3)', r.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--source", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
