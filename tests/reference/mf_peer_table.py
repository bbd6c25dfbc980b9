#!/usr/bin/python3
"""dislo's MF integrator against the numpy ETDRK4 peer, measured in one run (issue 16).

For M = 256 and 512: a converged reference (dislo, etdrk4 at rtol 1e-7), the peer
(mf_etdrk4_peer.py) at several fixed steps, and dislo-bench's mf_study at several
tolerances; for each target error, the fastest setting of each that reaches it, and the
ratio of their solve times. The table goes into docs/performance.md.

usage: mf_peer_table.py BUILD_DIR [--sizes 256 512] [--scratch DIR]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
TARGETS = (1e-8, 1e-10)
PEER_STEPS = (0.25, 0.2, 0.125, 0.1, 0.0625, 0.05, 0.04, 0.03125, 0.025)


def reference(dislo, M, path):
    subprocess.run([dislo, "run", "--set", 'run.models=["mf"]', "--set", f"mf.M={M}",
                    "--set", "mf.rtol=1e-7", "--set", "mf.atol=1e-16", "--set",
                    f'run.output="{path}"', "--set", "run.overwrite=true"],
                   check=True, stdout=subprocess.DEVNULL)


def peer(ref, dt):
    out = subprocess.run([sys.executable, str(HERE / "mf_etdrk4_peer.py"), ref, ref, "--dt",
                          str(dt)], check=True, capture_output=True, text=True).stdout.split()
    fields = dict(zip(out[::2], out[1::2]))
    return float(fields["max_error"]), float(fields["solve_seconds"])


def arkimex(dislo, M, rtol, path, ref):
    """Today's default before etdrk4: ARKIMEX at rtol (atol 1e-3 rtol); the mf phase's
    seconds (construction included) and the max error at T."""
    log = subprocess.run([dislo, "run", "--set", 'run.models=["mf"]', "--set", f"mf.M={M}",
                          "--set", 'mf.ts_type="arkimex"', "--set", f"mf.rtol={rtol}", "--set",
                          f"mf.atol={rtol * 1e-3}", "--set", f'run.output="{path}"', "--set",
                          "run.overwrite=true"], check=True, capture_output=True, text=True)
    words = (log.stdout + log.stderr).split()
    seconds = float(words[words.index("mf", words.index("(setup")) + 1])
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f, h5py.File(ref, "r") as r:
        err = max(np.abs(f[f"/mf/rho_{s}"][-1] - r[f"/mf/rho_{s}"][-1]).max()
                  for s in ("plus", "minus"))
    return err, seconds, f"arkimex rtol {rtol:g}"


def dislo_bench(bench, sizes):
    out = subprocess.run([bench, "--benchmark_filter=^mf_study/", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        _, M, k = b["name"].split("/")[:3]
        if int(M) in sizes:
            rows.setdefault(int(M), []).append((float(b["error"]), b["real_time"] / 1e3,
                                                f"rtol 1e-{k}", int(b["steps"])))
    return rows


def fastest(rows, target):
    ok = [r for r in rows if r[0] <= target]
    return min(ok, key=lambda r: r[1]) if ok else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    p.add_argument("--scratch", default=None)
    a = p.parse_args()
    build = pathlib.Path(a.build)
    dislo, bench = str(build / "drivers" / "dislo"), str(build / "drivers" / "dislo-bench")
    scratch = a.scratch or tempfile.mkdtemp(prefix="dislo-peer-")
    ours = dislo_bench(bench, a.sizes)
    print("| M | target error | numpy ETDRK4 (step, error, solve s) | dislo etdrk4 (setting, "
          "steps, error, solve s) | ratio |")
    print("|---|---|---|---|---|")
    for M in a.sizes:
        ref = os.path.join(scratch, f"reference-{M}.h5")
        reference(dislo, M, ref)
        theirs = [(*peer(ref, dt), f"dt {dt}") for dt in PEER_STEPS]
        for target in TARGETS:
            t, o = fastest(theirs, target), fastest(ours.get(M, []), target)
            if not t or not o:
                print(f"| {M} | {target:.0e} | {t} | {o} | - |")
                continue
            print(f"| {M} | {target:.0e} | {t[2]}, {t[0]:.1e}, {t[1]:.3f} | {o[2]}, {o[3]}, "
                  f"{o[0]:.1e}, {o[1]:.3f} | {t[1] / o[1]:.1f} |")
        if M == a.sizes[0]:
            for rtol in (1e-8, 1e-10):
                err, seconds, name = arkimex(dislo, M, rtol, os.path.join(scratch, "ark.h5"), ref)
                o = fastest(ours.get(M, []), max(err, 1e-10))
                print(f"| {M} | {err:.0e} | today's dislo: {name}, {err:.1e}, {seconds:.2f} "
                      f"(mf phase) | {o[2]}, {o[3]}, {o[0]:.1e}, {o[1]:.3f} | "
                      f"{seconds / o[1]:.0f} |")


if __name__ == "__main__":
    main()
