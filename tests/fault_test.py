#!/usr/bin/python3
"""Faults a cluster shows, one test each (a rank that dies: tests/checkpoint_test.py).

- The disk fills up while a run computes (a tmpfs of 24 MB, filled by another process once
  the mean fields are solved): the run fails with a message that says the disk is full,
  the output it was to replace is intact, and no temporary is left.
- The output directory vanishes while a run computes (removed once the mean fields are
  solved): the run fails naming the directory, and leaves nothing behind.
- A checkpoint written by a newer dislo (another version line; another format number) is
  refused with exit 2 and one line saying so, and nothing is overwritten.
The events are log lines, not times."""
import argparse
import errno
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

# The checkpoint tests' study (two small ensembles beside the mean fields), not a copy.
from checkpoint_test import STUDY

ARGS = None

MEAN_FIELDS_SOLVED = "mfeps: t = 0.2"


def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


class Faults(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dislo-fault-")
        self.study = os.path.join(self.dir, "study.toml")
        with open(self.study, "w") as f:
            f.write(STUDY)

    def tearDown(self):
        if os.path.ismount(os.path.join(self.dir, "disk")):
            subprocess.run(["umount", os.path.join(self.dir, "disk")])
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, output, *extra):
        return [ARGS.mpiexec, "-n", "2", "--oversubscribe", ARGS.dislo, "run", self.study,
                "-o", output, *extra]

    def run_with_event(self, output, action, *extra):
        """Runs dislo; once the mean fields are solved, calls action(); returns status, log."""
        p = subprocess.Popen(self.command(output, *extra), cwd=self.dir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line.startswith(MEAN_FIELDS_SOLVED):
                action()
                break
        out, err = p.communicate(timeout=600)
        return p.returncode, "".join(seen) + out + err

    def test_disk_full_keeps_the_old_output_and_says_so(self):
        disk = os.path.join(self.dir, "disk")
        os.mkdir(disk)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", disk],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here (needs root): " + r.stderr.strip())
        output = os.path.join(disk, "out.h5")
        r = subprocess.run(self.command(output), cwd=self.dir, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(output, "rb") as f:
            old = f.read()

        def fill():
            with open(os.path.join(disk, "filler"), "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError as e:
                    self.assertEqual(e.errno, errno.ENOSPC)

        status, log = self.run_with_event(output, fill, "--overwrite")
        self.assertNotIn(status, (0, 2, 3), log)
        self.assertIn("No space left on device", log)
        with open(output, "rb") as f:
            self.assertEqual(f.read(), old)
        self.assertEqual(sorted(os.listdir(disk)), ["filler", "out.h5", "out.xmf"], log)

    def test_vanished_output_directory_is_named(self):
        sub = os.path.join(self.dir, "results")
        output = os.path.join(sub, "out.h5")
        status, log = self.run_with_event(output, lambda: shutil.rmtree(sub))
        self.assertNotIn(status, (0, 2, 3), log)
        self.assertIn(f"the output directory {sub} vanished", log)
        self.assertFalse(os.path.exists(sub), log)

    def newer_checkpoint(self, edit):
        """A real checkpoint (a run stopped after 5 replicas), edited by edit(bytes) and
        given a valid checksum again; returns its path and contents."""
        r = subprocess.run(self.command("out.h5", "--set", "run.stop_after=5"), cwd=self.dir,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 3, r.stderr)
        path = os.path.join(self.dir, "out.h5.checkpoint")
        with open(path, "rb") as f:
            body = edit(bytearray(f.read()[:-8]))
        data = bytes(body) + fnv1a(body).to_bytes(8, "little")
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    def assert_refused(self, path, data, reason):
        r = subprocess.run(self.command("out.h5", "--resume"), cwd=self.dir, capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(r.returncode, 2, r.stderr)
        ours = [l for l in r.stderr.splitlines() if l.startswith("dislo:")]
        self.assertEqual(len(ours), 1, r.stderr)
        self.assertIn(reason, ours[0])
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.h5")))

    def test_checkpoint_of_a_newer_version_is_refused(self):
        def newer_version(body):
            at = body.index(b"dislo ", 8)
            end = body.index(b" ", at + 6)
            body[at + 6:end] = b"9" * (end - at - 6)  # dislo 0.1.0 -> dislo 99999
            return body
        path, data = self.newer_checkpoint(newer_version)
        self.assertIn(b"dislo 99999", data)
        self.assert_refused(path, data, "written by dislo 99999")

    def test_checkpoint_of_a_newer_format_is_refused(self):
        def newer_format(body):
            body[8:12] = (2).to_bytes(4, "little")
            return body
        path, data = self.newer_checkpoint(newer_format)
        self.assert_refused(path, data, "format 2, newer than this dislo reads (1)")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--small", action="store_true",
                    help="the reduced case for the sanitizer build: n = 20, 20 replicas")
    ARGS, rest = ap.parse_known_args()
    if ARGS.small:
        global STUDY
        STUDY = STUDY.replace("n = 200", "n = 20").replace("replicas = 200", "replicas = 20")
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
