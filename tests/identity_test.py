#!/usr/bin/python3
"""Byte identity: the outputs of a fixed list of small studies equal, bit for bit, those
recorded with an earlier build (tests/reference/identity-digests.json).

Every HDF5 dataset and attribute a run leaves (provenance and timings aside, as
h5contents.contents decides) is digested as sha256 of its dtype, shape and raw bytes; XDMF
sidecars as sha256 of their text. Check mode prints every item that differs, is missing or
is new, and exits 1 on any. Runs of one study on other rank counts, replica groups or
transposes must also agree with each other (the code claims rank independence); only the
root attribute `study` may differ there, as it records run.ranks_per_replica.

The reference stores the facts that may change floating-point bits legitimately (CPU model
and SIMD flags, glibc, compiler, library versions, build type); where the current machine
or build differs in one, check mode says which and exits 77 (ctest: skipped).

Check (ctest `identity`):
    /usr/bin/python3 tests/identity_test.py --dislo build/drivers/dislo \
        --mpiexec /usr/bin/mpiexec --check tests/reference/identity-digests.json
Re-record ONLY when an output change is intended (a numerical fix, a new dataset), with the
build that makes it, on the machine CI runs on, and say why in the commit message:
    /usr/bin/python3 tests/identity_test.py --dislo build/drivers/dislo \
        --mpiexec /usr/bin/mpiexec --record tests/reference/identity-digests.json
"""
import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from h5contents import PROVENANCE, contents

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
INTERRUPTED = 3  # dislo's exit status after writing a checkpoint

# examples/ensemble.toml shrunk to about a second a run.
SMALL = ["model.n=100", "model.n_plus=50", "model.lattice=32", "mf.M=64", "metrics.grid=16",
         "model.T=0.1", "run.times=[0,0.05,0.1]", "run.replicas=4"]
# examples/cosine.toml (mean fields only) likewise.
COSINE = ["model.lattice=32", "mf.M=64", "model.T=0.1", "run.dt_out=0.05"]
# examples/validation/law_order.toml (exact two-particle laws, a sweep over lattices).
PAIRS = ["model.n=2", "model.n_plus=1", "model.T=0.05", "run.times=[0,0.05]"]


def case(study, sets, runs):
    """A study (file in examples/, --set overrides) and its runs: (label, ranks, extra
    arguments). The label "resumed" marks a run interrupted and resumed on several rank
    counts (run_resumed); it needs an "np2" run before it."""
    return {"study": study, "sets": sets, "runs": runs}


GROUPS2 = ["--set", "run.ranks_per_replica=2"]
CASES = {
    "meanfield": case("cosine.toml", COSINE,
                      [("np1", 1, []), ("np2", 2, []), ("np3", 3, []),
                       ("np2-messages", 2, ["-dislo_transpose", "messages"])]),
    "all-models": case("ensemble.toml", SMALL + ["metrics.rw_against_mf=true"],
                       [("np1", 1, []), ("np2", 2, []), ("np3", 3, [])]),
    "chaos": case("ensemble.toml", SMALL + ['run.models=["sde","rw"]', "chaos.coupling=true",
                                            "chaos.frames=16", "sde.force=direct",
                                            'metrics.kinds=["w1"]'],
                  [("np1", 1, []), ("np2", 2, []), ("np2-groups", 2, GROUPS2)]),
    "groups-pm": case("ensemble.toml", SMALL + ['run.models=["sde"]', "sde.force=pm",
                                                "model.n=400", "model.n_plus=200"],
                      [("np1", 1, []), ("np2-groups", 2, GROUPS2),
                       ("np3-groups", 3, ["--set", "run.ranks_per_replica=3"])]),
    "auto": case("ensemble.toml", SMALL + ['run.models=["sde","rw"]', "run.replicas=auto",
                                           "run.target_stderr=0.0015", "run.batch=4",
                                           "run.max_replicas=16", 'metrics.kinds=["bl","hs"]'],
                 [("np1", 1, []), ("np3", 3, [])]),
    "ode": case("ensemble.toml", SMALL + ['run.models=["mf","sde"]', "model.beta=inf",
                                          "run.replicas=2"], [("np2", 2, [])]),
    "blobs-cai": case("cosine.toml", COSINE + [
        'run.models=["mf","mfeps","sde"]', "model.n=100", "run.replicas=2",
        "potential.kind=cai", "initial.kind=blobs",
        "initial.blobs_plus=[{centre=[0.25,0.5],width=0.15}]",
        "initial.blobs_minus=[{centre=[0.75,0.5]},{centre=[0.5,0.1],width=0.12,weight=0.5}]"],
        [("np2", 2, [])]),
    "file-bump": case("cosine.toml", COSINE + [
        'run.models=["mfeps","rw"]', "model.n=100", "run.replicas=2", "potential.kind=bump",
        "initial.kind=file", "initial.file=rho0.h5"],  # rho0.h5: write_density_file
        [("np1", 1, []), ("np2", 2, [])]),
    "exact2-sweep": case("validation/law_order.toml", PAIRS + ["sweep.lattice=[8,16]"],
                         [("np2", 2, [])]),
    "checkpoint": case("ensemble.toml", SMALL + ['run.models=["sde","rw"]', "run.replicas=12",
                                                 'metrics.kinds=["w1"]'],
                       [("np2", 2, []), ("resumed", None, [])]),
}


def dislo_command(args, spec, ranks, extra):
    sets = [a for s in spec["sets"] for a in ("--set", s)]
    return [args.mpiexec, "-n", str(ranks), "--oversubscribe", args.dislo, "run",
            os.path.join(EXAMPLES, spec["study"]), "-o", "out.h5", *sets, *extra]


def run_dislo(args, spec, where, ranks, extra, expect=(0,)):
    p = subprocess.run(dislo_command(args, spec, ranks, extra), cwd=where,
                       capture_output=True, text=True, timeout=300)
    if p.returncode not in expect:
        sys.exit(f"{where}: dislo exited {p.returncode}, expected {expect}:\n{p.stdout}{p.stderr}")
    return p.returncode


def run_resumed(args, spec, where):
    """Stopped three times, resumed on other rank counts, every stop an event, not a time:
    a 1 us wall-time budget stops the run before any replica; run.stop_after then stops
    it after 5 SDE replicas on 3 ranks, and after SDE's other 7 and 10 RW replicas on 1;
    2 ranks finish it."""
    run_dislo(args, spec, where, 2, ["--set", "run.walltime=1e-6"], expect=(INTERRUPTED,))
    for ranks, count in ((3, 5), (1, 10)):
        run_dislo(args, spec, where, ranks, ["--resume", "--set", f"run.stop_after={count}"],
                  expect=(INTERRUPTED,))
    run_dislo(args, spec, where, 2, ["--resume"])


def write_density_file(where):
    # Exact rationals, no transcendental functions: the same bits from any numpy.
    i, j = np.meshgrid(np.arange(24), np.arange(24), indexing="ij")
    with h5py.File(os.path.join(where, "rho0.h5"), "w") as f:
        f["rho_plus"] = 1.0 + ((7 * i + 3 * j) % 11) / 10.0
        f["rho_minus"] = 2.0 - ((i + 5 * j) % 13) / 8.0


def digest(value):
    h = hashlib.sha256(f"{value.dtype.str} {value.shape}\n".encode())
    # Object arrays (variable-length strings) hold pointers: hash their values instead.
    h.update(repr(value.tolist()).encode() if value.dtype.kind == "O" else value.tobytes())
    return h.hexdigest()


def is_timing(item):
    # contents() leaves out provenance and timing attributes; a collected table (sweeps)
    # also has them as columns, e.g. the dataset wall_seconds.
    leaf = item.rsplit("/", 1)[-1]
    return leaf in PROVENANCE or leaf.startswith("seconds")


def digest_outputs(where):
    """Every item of every .h5 and .xmf the run left, as 'FILE:item' -> sha256."""
    out = {}
    for name in sorted(os.listdir(where)):
        path = os.path.join(where, name)
        if name.endswith(".h5") and name != "rho0.h5":
            out.update({f"{name}:{k}": digest(v) for k, v in contents(path).items()
                        if not is_timing(k)})
        elif name.endswith(".xmf"):
            with open(path, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def run_case(args, name, spec):
    """Runs every variant of one case; returns {'case/label': digests}."""
    results = {}
    for label, ranks, extra in spec["runs"]:
        where = os.path.join(args.work, name, label)
        shutil.rmtree(where, ignore_errors=True)
        os.makedirs(where)
        if "initial.file=rho0.h5" in spec["sets"]:
            write_density_file(where)
        t0 = time.time()
        if label == "resumed":
            run_resumed(args, spec, where)
        else:
            run_dislo(args, spec, where, ranks, extra)
        results[f"{name}/{label}"] = digest_outputs(where)
        print(f"  {name}/{label}: {len(results[f'{name}/{label}'])} items, "
              f"{time.time() - t0:.1f} s", flush=True)
    return results


def disagreements(results):
    """The variants of each case against its first, @study aside (it records the group size)."""
    lines = []
    for key, digests in results.items():
        first = next(k for k in results if k.split("/")[0] == key.split("/")[0])
        ref = {k: v for k, v in results[first].items() if not k.endswith(":@study")}
        got = {k: v for k, v in digests.items() if not k.endswith(":@study")}
        lines += [f"{key} against {first}: {item}" for item in differing(ref, got)]
    return lines


def differing(ref, got):
    """Names of the items that differ, are missing or are new."""
    def what(k):
        return "missing" if k not in got else "new" if k not in ref else "differs"
    return [f"{k} ({what(k)})" for k in sorted(set(ref) | set(got)) if ref.get(k) != got.get(k)]


def machine_facts(dislo):
    """What may legitimately change floating-point bits: CPU and SIMD (FFTW picks its
    codelets at run time), libm, compiler and libstdc++ (std::poisson_distribution), the
    libraries, the build type (Debug builds are not compared)."""
    with open("/proc/cpuinfo") as f:
        cpu = f.read()
    model = re.search(r"^model name\s*:\s*(.*)$", cpu, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", cpu, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    facts = {"cpu": model.group(1).strip() if model else platform.machine()}
    facts.update({flag: flag in flags for flag in ("avx512f", "avx2", "avx", "fma")})
    facts["glibc"] = " ".join(platform.libc_ver())
    facts["h5py"] = h5py.__version__  # how strings read back, hence their digests
    with open(dislo, "rb") as f:  # all: crt objects bring a GCC line into clang builds too
        found = re.findall(rb"GCC: \([^)]*\) [0-9.]+|clang version [0-9.]+", f.read())
    facts["compiler"] = "; ".join(sorted({c.decode() for c in found})) or "unknown"
    info = subprocess.run([dislo, "info"], capture_output=True, text=True, check=True).stdout
    for line in info.splitlines():
        key, _, value = line.partition(": ")
        if key in ("build type", "PETSc", "FFTW", "HDF5", "MPI"):
            facts[key] = value.strip(" \0")
    # PETSc's index size moves no floating-point bit (measured 2026-12-04: every item
    # identical with 32- and 64-bit PetscInt), so the Release CI build, which uses the
    # 64-bit one, is compared against a reference recorded with either.
    facts["PETSc"] = re.sub(r"\d+-bit indices, ", "", facts.get("PETSc", ""))
    return facts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", metavar="REFERENCE.json")
    mode.add_argument("--record", metavar="OUT.json")
    ap.add_argument("--work", help="directory for the runs (default: a new temporary one)")
    ap.add_argument("--perturb", action="store_true", help=argparse.SUPPRESS)  # self-test
    args = ap.parse_args()
    args.dislo = os.path.abspath(args.dislo)
    args.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="dislo-identity-"))
    facts = machine_facts(args.dislo)
    if args.check:
        with open(args.check) as f:
            reference = json.load(f)
        unknown = sorted(set(reference["facts"]) - set(facts))
        if unknown:  # never skip silently because `dislo info` changed its wording
            print(f"cannot tell {', '.join(unknown)} of this build: update machine_facts")
            return 1
        changed = {k: (v, facts[k]) for k, v in reference["facts"].items() if facts[k] != v}
        if changed:
            for k, (was, now) in changed.items():
                print(f"SKIP: {k} is {now!r}, the reference was recorded with {was!r}")
            print("floating-point bits may legitimately differ here: not compared")
            return 77
    if args.perturb:  # proves the check notices: another seed for one case
        CASES["all-models"]["sets"] = CASES["all-models"]["sets"] + ["run.seed=2"]
    t0 = time.time()
    results = {}
    for name, spec in CASES.items():
        results.update(run_case(args, name, spec))
    print(f"{len(results)} runs in {time.time() - t0:.1f} s")
    problems = disagreements(results)
    if args.record:
        if problems:
            print("\n".join(problems) + "\nnot recorded: the variants of a case disagree")
            return 1
        with open(args.record, "w") as f:
            json.dump({"facts": facts, "cases": results}, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"recorded {args.record}")
        return 0
    for key in sorted(set(reference["cases"]) | set(results)):
        if key not in results or key not in reference["cases"]:
            problems.append(f"{key}: case {'not run' if key not in results else 'not recorded'}")
            continue
        problems += [f"{key}: {item}" for item in differing(reference["cases"][key], results[key])]
    print("\n".join(problems) or "every item identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
