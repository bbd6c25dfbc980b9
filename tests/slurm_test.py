#!/usr/bin/python3
"""The job scripts in jobscripts/ on a real single-node Slurm, run by ctest (label slurm).

Starts slurmctld, slurmd and munge under a temporary folder (tools/slurm-cluster.sh,
../shared/notes/slurm.md), submits each job script against a small study, waits, checks
the outputs, and always stops Slurm again:
- run.sbatch: the output equals (every dataset and attribute, provenance and timings
  aside) the same study run directly with mpiexec;
- long-run.sbatch: Slurm's warning signal (sent with scancel --batch --signal=USR1 once
  the ensembles run, as --signal=B:USR1@T would) makes dislo checkpoint, the job requeues
  itself and resumes, and the final output equals the direct run's;
- scaling.sbatch: the weak, strong and shared-replica series on 1 and 2 tasks, a complete
  table;
- submit-sweep.sh: a sweep as a job array (sweep.sbatch, --sweep-index) and the
  dependent collect job (collect.sbatch): every point and the table equal the whole
  sweep run directly.
"""
import argparse
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from h5contents import contents

ARGS = None

STUDY = """
[model]
n = 200
lattice = 32
delta = 0.0625
T = 0.2
[run]
models = ["mf", "mfeps", "sde", "rw"]
replicas = 120
times = [0.0, 0.1, 0.2]
[mf]
M = 64
[metrics]
grid = 16
law_bins = 16
"""

SWEEP = STUDY.replace("replicas = 120", "replicas = 6").replace(
    'models = ["mf", "mfeps", "sde", "rw"]', 'models = ["mf", "sde"]') + """
[sweep]
n = [30, 60]
delta = [0.0625, 0.125]
"""


class Slurm(unittest.TestCase):
    cluster = None

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dislo-slurm-")
        cls.cluster = os.path.join(cls.dir, "cluster")
        atexit.register(cls.stop_cluster)  # also if setUpClass fails half-way
        r = subprocess.run([ARGS.cluster_script, "start", cls.cluster], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"Slurm did not start:\n{r.stdout}\n{r.stderr}")
        cls.env = dict(os.environ, SLURM_CONF=os.path.join(cls.cluster, "slurm.conf"),
                       OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        with open(os.path.join(cls.dir, "study.toml"), "w") as f:
            f.write(STUDY)
        # The same study run directly: what every job's output must equal.
        r = subprocess.run([ARGS.mpiexec, "-n", "2", "--oversubscribe", ARGS.dislo, "run",
                            "study.toml", "-o", "direct.h5"], cwd=cls.dir, env=cls.env,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        cls.reference = contents(os.path.join(cls.dir, "direct.h5"))

    @classmethod
    def stop_cluster(cls):
        if cls.cluster and os.path.exists(os.path.join(cls.cluster, "slurm.conf")):
            subprocess.run([ARGS.cluster_script, "stop", cls.cluster], capture_output=True,
                           timeout=120)
            cls.cluster = None

    @classmethod
    def tearDownClass(cls):
        cls.stop_cluster()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def submit(self, script, *options, **variables):
        exports = ",".join(["ALL"] + [f"{k}={v}" for k, v in variables.items()])
        r = subprocess.run(["sbatch", "--parsable", f"--export={exports}", *options,
                            os.path.join(ARGS.jobscripts, script)], cwd=self.dir, env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().split(";")[0]

    def state(self, job):
        r = subprocess.run(["scontrol", "show", "job", job], env=self.env, capture_output=True,
                           text=True, timeout=60)
        m = re.search(r"JobState=(\S+)", r.stdout)
        e = re.search(r"ExitCode=(\S+)", r.stdout)
        return (m.group(1) if m else "GONE"), (e.group(1) if e else "")

    def wait(self, job, timeout=600):
        end = time.time() + timeout
        while time.time() < end:
            state, code = self.state(job)
            if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "GONE"):
                return state, code
            time.sleep(0.2)
        self.fail(f"job {job} still {self.state(job)} after {timeout} s")

    def log(self, job):
        with open(os.path.join(self.dir, f"slurm-{job}.out")) as f:
            return f.read()

    def assert_same_as_direct(self, path):
        got = contents(path)
        self.assertEqual(set(got), set(self.reference))
        for name, value in self.reference.items():
            if name == "@study":  # the resolved study names its output file
                continue
            self.assertEqual(value.tobytes(), got[name].tobytes(), name)

    def test_single_run(self):
        job = self.submit("run.sbatch", STUDY="study.toml", OUT="single.h5", DISLO=ARGS.dislo)
        state, code = self.wait(job)
        self.assertEqual((state, code), ("COMPLETED", "0:0"), self.log(job))
        self.assert_same_as_direct(os.path.join(self.dir, "single.h5"))

    def test_long_run_checkpoints_requeues_and_resumes(self):
        job = self.submit("long-run.sbatch", "--time=10", STUDY="study.toml", OUT="long.h5",
                          DISLO=ARGS.dislo)
        # Once the mean fields are solved the ensembles run: send the warning signal then
        # (an event, not a delay).
        end = time.time() + 300
        while time.time() < end:
            path = os.path.join(self.dir, f"slurm-{job}.out")
            if os.path.exists(path) and "mfeps: t = 0.2" in self.log(job):
                break
            time.sleep(0.2)
        r = subprocess.run(["scancel", "--batch", "--signal=USR1", job], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        state, code = self.wait(job)
        log = self.log(job)
        self.assertEqual((state, code), ("COMPLETED", "0:0"), log)
        self.assertIn("interrupted during", log)
        self.assertIn("requeueing job", log)
        self.assertIn("go 1:", log)
        self.assertIn("resuming from", log)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "long.h5.checkpoint")))
        self.assert_same_as_direct(os.path.join(self.dir, "long.h5"))

    def test_scaling_series(self):
        if not ARGS.bench:
            self.skipTest("dislo-bench is not built here (the sanitizer build): Release runs it")
        plot = os.path.join(os.path.dirname(ARGS.cluster_script), "plot_scaling.py")
        job = self.submit("scaling.sbatch", "--ntasks=2", BENCH=ARGS.bench, PREFIX="scaling",
                          PLOT=plot, PYTHON=sys.executable)
        state, code = self.wait(job, timeout=900)
        self.assertEqual((state, code), ("COMPLETED", "0:0"), self.log(job))
        with open(os.path.join(self.dir, "scaling.csv")) as f:
            rows = [line.strip().split(",") for line in f][1:]
        self.assertEqual([(r[0], r[1]) for r in rows],
                         [("weak", "1"), ("weak", "2"), ("strong", "1"), ("strong", "2"),
                          ("replica", "1"), ("replica", "2")])
        for r in rows:
            self.assertGreater(float(r[2]), 0)
            self.assertGreater(float(r[3]), 0)
        png = os.path.join(self.dir, "scaling.png")
        self.assertTrue(os.path.getsize(png) > 10000, self.log(job))
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        print("[ measured ] " + "; ".join(f"{r[0]} {r[1]} tasks: efficiency {float(r[3]):.3f}"
                                          for r in rows))

    def test_sweep_as_job_array_then_collect(self):
        with open(os.path.join(self.dir, "sweep.toml"), "w") as f:
            f.write(SWEEP.replace('[run]', '[run]\noutput = "sweep.h5"'))
        with open(os.path.join(self.dir, "direct-sweep.toml"), "w") as f:
            f.write(SWEEP.replace('[run]', '[run]\noutput = "direct-sweep.h5"'))
        r = subprocess.run([ARGS.mpiexec, "-n", "2", "--oversubscribe", ARGS.dislo, "run",
                            "direct-sweep.toml"], cwd=self.dir, env=self.env,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([os.path.join(ARGS.jobscripts, "submit-sweep.sh"), "sweep.toml"],
                           cwd=self.dir, env=dict(self.env, DISLO=ARGS.dislo),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        array = re.search(r"array (\d+) points 4", r.stdout)
        collect = re.search(r"collect (\d+)", r.stdout)
        self.assertTrue(array and collect, r.stdout)
        state, code = self.wait(collect.group(1))
        self.assertEqual((state, code), ("COMPLETED", "0:0"), self.log(collect.group(1)))
        for i in range(4):
            got = contents(os.path.join(self.dir, f"sweep-{i}.h5"))
            want = contents(os.path.join(self.dir, f"direct-sweep-{i}.h5"))
            self.assertEqual(set(got), set(want))
            for name, value in want.items():
                if name != "@study":
                    self.assertEqual(value.tobytes(), got[name].tobytes(), (i, name))
        got = contents(os.path.join(self.dir, "sweep.h5"), also_ignore=("rows",))
        want = contents(os.path.join(self.dir, "direct-sweep.h5"), also_ignore=("rows",))
        self.assertEqual(set(got), set(want))
        self.assertEqual(len(got["t"]), 12)
        for name, value in want.items():
            if name in ("sources", "wall_seconds"):
                continue
            if value.dtype == object:  # strings
                self.assertEqual(value.tolist(), got[name].tolist(), name)
            else:
                self.assertEqual(value.tobytes(), got[name].tobytes(), name)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--bench", help="dislo-bench (the scaling series; absent: skipped)")
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--jobscripts", required=True)
    ap.add_argument("--cluster-script", required=True)
    ap.add_argument("--small", action="store_true",
                    help="the reduced case for the sanitizer build: n = 20, the same events")
    ARGS, rest = ap.parse_known_args()
    if ARGS.small:
        global STUDY, SWEEP
        STUDY = STUDY.replace("n = 200", "n = 20")
        SWEEP = SWEEP.replace("n = 200", "n = 20")
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
