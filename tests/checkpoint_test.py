#!/usr/bin/python3
"""Checkpoint and restart end to end (`dislo run --resume`), run by ctest.

- Stopped three times, resumed each time: by SIGUSR1 (forwarded by mpiexec to every rank,
  as Slurm's --signal does) as soon as the mean fields are solved, then part-way through
  SDE and part-way through RW by run.stop_after (a stop after a given number of replicas:
  driven by events, not the clock, so the test passes on any machine). Exit status 3
  after each interruption, 0 at the end, the checkpoint gone, and every dataset and
  attribute of the output (provenance and timings aside) bit-identical to an
  uninterrupted run of the same study.
- The same with replicas = "auto" (rounds of 16), on 3 ranks, resumed on 1 and then on 2
  sharing each SDE replica (run.ranks_per_replica = 2): a checkpoint depends on neither.
- The wall-time budget (run.walltime) stops a run that cannot finish inside it.
- Refusals, each with exit status 2 and nothing overwritten: a fresh run beside a
  checkpoint, a checkpoint of another study, a corrupt checkpoint.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

import h5contents

ARGS = None

STUDY = """
[model]
n = 200
lattice = 32
delta = 0.0625
T = 0.2
[run]
models = ["sde", "rw"]
replicas = 200
times = [0.0, 0.1, 0.2]
output = "out.h5"
[mf]
M = 64
[metrics]
grid = 16
law_bins = 16
"""

INTERRUPTED = 3


def checkpointed(line):
    """The replicas complete in a line "<model>: checkpoint F written, K replicas complete"."""
    return int(re.search(r"written, (\d+) replicas complete", line).group(1))


def rank_pid(mpiexec_pid, rank):
    """The process of MPI rank `rank` among mpiexec's children (OpenMPI's environment)."""
    for child in subprocess.run(["pgrep", "-P", str(mpiexec_pid)], capture_output=True,
                                text=True).stdout.split():
        try:
            with open(f"/proc/{child}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(child)
    raise AssertionError(f"no process of rank {rank} under mpiexec {mpiexec_pid}")


def contents(path):
    # The resolved study is left out too: it names run.walltime where a run set one.
    return h5contents.contents(path, also_ignore=("study",))


class Checkpoint(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dislo-checkpoint-")
        with open(os.path.join(self.dir, "study.toml"), "w") as f:
            f.write(STUDY)

    def command(self, ranks, *extra):
        return [ARGS.mpiexec, "-n", str(ranks), "--oversubscribe", ARGS.dislo, "run",
                "study.toml", *extra]

    def run_dislo(self, ranks, *extra):
        return subprocess.run(self.command(ranks, *extra), cwd=self.dir, capture_output=True,
                              text=True, timeout=600)

    def reference(self):
        r = self.run_dislo(2, "-o", "reference.h5")
        self.assertEqual(r.returncode, 0, r.stderr)
        return contents(os.path.join(self.dir, "reference.h5"))

    def assert_same(self, ref, path):
        got = contents(path)
        self.assertEqual(set(got), set(ref))
        for name, value in ref.items():
            self.assertEqual(value.tobytes(), got[name].tobytes(), name)

    def interrupt_after_mean_fields(self, *extra):
        """Starts a run, waits until its mean fields are solved (the last "mfeps:" line:
        the signal handlers are in place and the ensembles start), sends SIGUSR1 to
        mpiexec and returns the exit status and the output."""
        p = subprocess.Popen(self.command(2, *extra), cwd=self.dir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line.startswith("mfeps: t = 0.2"):
                break
        p.send_signal(signal.SIGUSR1)
        out, err = p.communicate(timeout=600)
        return p.returncode, "".join(seen) + out + err

    def test_killed_twice_then_resumed_gives_the_same_output(self):
        ref = self.reference()
        checkpoint = os.path.join(self.dir, "out.h5.checkpoint")
        status, log = self.interrupt_after_mean_fields("--resume")
        self.assertEqual(status, INTERRUPTED, log)
        self.assertIn("interrupted during sde", log)
        # 70 more of SDE's 200 replicas (the signal let those in flight finish: 0 to 2),
        # then SDE's rest and 150 of RW's.
        for stop_after, phase in ((70, "sde"), (150, "rw: 150 replicas complete")):
            r = self.run_dislo(2, "--resume", "--set", f"run.stop_after={stop_after}")
            log = r.stdout + r.stderr
            self.assertEqual(r.returncode, INTERRUPTED, log)
            self.assertTrue(os.path.exists(checkpoint), log)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")), log)
            self.assertIn("interrupted during " + phase, log)
        r = self.run_dislo(2, "--resume")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resuming from", r.stdout)
        self.assertFalse(os.path.exists(checkpoint))
        self.assert_same(ref, os.path.join(self.dir, "out.h5"))

    def start_and_kill(self, rank, phase, after):
        """Starts a run that checkpoints as often as it may, waits for a checkpoint of
        `phase` with at least `after` replicas complete (the event), then SIGKILLs MPI rank
        `rank` (no signal dislo could handle). Returns the exit status, the log and the
        replicas complete at the checkpoint seen."""
        p = subprocess.Popen(self.command(2, "--resume", "--set", "run.checkpoint_every=1e-6"),
                             cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        seen, complete = [], None
        for line in p.stdout:
            seen.append(line)
            if line.startswith(f"{phase:>5}: checkpoint") and checkpointed(line) >= after:
                complete = checkpointed(line)
                break
        self.assertIsNotNone(complete, "".join(seen))
        os.kill(rank_pid(p.pid, rank), signal.SIGKILL)
        out, err = p.communicate(timeout=600)
        return p.returncode, "".join(seen) + out + err, complete

    def test_sigkill_of_a_rank_resumes_from_the_last_periodic_checkpoint(self):
        ref = self.reference()
        checkpoint = os.path.join(self.dir, "out.h5.checkpoint")
        progress = []
        # Rank 1 part-way through SDE, then rank 0 (the checkpoints' and the output's
        # writer) part-way through RW.
        for rank, phase in ((1, "sde"), (0, "rw")):
            status, log, complete = self.start_and_kill(rank, phase, 40)
            self.assertNotIn(status, (0, INTERRUPTED), log)
            self.assertTrue(os.path.exists(checkpoint), log)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")), log)
            progress.append(log)
        # The second run went on from the first one's checkpoint: SDE's first checkpoint
        # there has more replicas than the one seen before the kill.
        self.assertIn("resuming from", progress[1])
        first = [l for l in progress[1].splitlines() if l.startswith("  sde: checkpoint")]
        self.assertGreaterEqual(checkpointed(first[0]), 40, progress[1])
        r = self.run_dislo(2, "--resume")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resuming from", r.stdout)
        # Rank 0 died with its temporary output open: reported and removed.
        self.assertIn("the temporary output of a run that was killed", r.stderr)
        self.assertFalse(os.path.exists(checkpoint))
        self.assertEqual([f for f in os.listdir(self.dir) if ".tmp-" in f], [])
        self.assert_same(ref, os.path.join(self.dir, "out.h5"))

    def test_stops_by_count_resume_on_other_rank_counts(self):
        # replicas = "auto" in batches of 16 (the target is out of reach: all 200 run), so
        # stops land inside and between batches.
        with open(os.path.join(self.dir, "study.toml"), "w") as f:
            f.write(STUDY.replace("replicas = 200", "replicas = \"auto\"\ntarget_stderr = 1e-9\n"
                                  "max_replicas = 200\nbatch = 16"))
        ref = self.reference()
        # Stops inside rounds (50 = 3 x 16 + 2, 150 = 9 x 16 + 6).
        r = self.run_dislo(3, "--set", "run.stop_after=50")
        self.assertEqual(r.returncode, INTERRUPTED, r.stdout + r.stderr)
        self.assertIn("interrupted during sde: 50 replicas complete", r.stderr)
        r = self.run_dislo(1, "--resume", "--set", "run.stop_after=100")
        self.assertEqual(r.returncode, INTERRUPTED, r.stdout + r.stderr)
        self.assertIn("interrupted during sde: 150 replicas complete", r.stderr)
        r = self.run_dislo(2, "--resume", "--set", "run.ranks_per_replica=2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_same(ref, os.path.join(self.dir, "out.h5"))

    def test_refusals_leave_everything_in_place(self):
        checkpoint = os.path.join(self.dir, "out.h5.checkpoint")
        # A budget the run cannot meet: it stops before its first replica.
        r = self.run_dislo(2, "--set", "run.walltime=0.001")
        self.assertEqual(r.returncode, INTERRUPTED, r.stdout + r.stderr)
        self.assertIn("interrupted during sde: 0 replicas complete", r.stderr)
        with open(checkpoint, "rb") as f:
            saved = f.read()
        for extra, reason in ((("--set", "run.walltime=0.001"), "continue it with --resume"),
                              (("--resume", "--set", "model.n=100"), "another study")):
            r = self.run_dislo(2, *extra)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(reason, r.stderr)
            # One line from dislo (mpiexec adds its own about the exit status).
            ours = [l for l in r.stderr.splitlines() if l.startswith("dislo:")]
            self.assertEqual(len(ours), 1, r.stderr)
        corrupt = bytearray(saved)
        corrupt[len(corrupt) // 2] ^= 0xFF
        with open(checkpoint, "wb") as f:
            f.write(corrupt)
        r = self.run_dislo(2, "--resume")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("corrupt", r.stderr)
        with open(checkpoint, "rb") as f:
            self.assertEqual(f.read(), bytes(corrupt))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--small", action="store_true",
                    help="the reduced case for the sanitizer build: n = 20, the same events")
    ARGS, rest = ap.parse_known_args()
    if ARGS.small:
        global STUDY
        STUDY = STUDY.replace("n = 200", "n = 20")
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
