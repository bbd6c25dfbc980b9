#!/usr/bin/python3
"""Makes docs/gallery.md and its figures (docs/gallery/): each entry is one `dislo run` of a
study in examples/ and the figures `tools/dislo-plot` draws from its output; the page lists
the exact commands, so anyone can make them again.

Usage (Debian's python3, which has h5py and matplotlib):
  /usr/bin/python3 tools/gallery.py --dislo build/release/drivers/dislo
      [--mpiexec mpiexec] [--ranks 2] [--work DIR] [--docs docs]
  --check: run every entry, smaller (CHECK_SETS), into --work and check that each draws its
      figures, writing nothing to docs/ (the test suite's form).
About 2 minutes on 2 cores.
"""
import argparse
import datetime
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, title, study (None: the built-in study), --set overrides, figures, what it shows);
# figures: dislo-plot --figures patterns, or [(output suffix, patterns), ...] for a sweep
# whose figures come from several of its outputs (suffix "-0": point 0, "": the table).
ENTRIES = [
    ("first-run", "The first run: `dislo run` without a study", None, [],
     [("-0", ["laws"]), ("-2", ["chaos"]),
      ("", ["sde_chaos_coupling_mean-n", "rw_chaos_veto_mean-n", "sde_metrics_bl_plus_mean-n"])],
     "The built-in study (examples/default.toml, what tools/quickstart.sh runs): all four "
     "models at n = 4, 16, 64 with 48 replicas each, w1 and bl with certified brackets. At n = 4 (beta/n = 8) opposite signs "
     "pair up into dipoles and equal signs keep apart: at short range their distance laws "
     "depart from the non-interacting one by about the two-body Gibbs factor (right column, "
     "the ratio to it). At n = 64 the couplings to the mean-field "
     "processes against Lemma 4.2's bound and bl against eq. 18 / eq. 20. Over the sweep the "
     "SDE coupling, the RW veto coupling and E bl fall with n at their fitted rates."),
    ("mean-fields", "The two mean fields", "examples/cosine.toml", [], ["densities"],
     "MF (the continuum PDE, M = 256) and MFeps (the lattice master equation, L = 128) from a "
     "two-sign cosine state: each sign's density at four times, as it relaxes to uniform."),
    ("ensemble", "Particles beside their mean fields", "examples/ensemble.toml",
     ["chaos.coupling=true"], ["metrics", "laws", "chaos"],
     "16 replicas each of SDE_n and RW_n^eps (n = 400) beside MF and MFeps: every distance "
     "against time with its standard-error band and certified bracket; the replica-averaged "
     "one-particle laws beside the mean field they estimate, and the pair-distance laws; the "
     "coupling distances (1/n) E sum |X_i - Xbar_i| against Lemma 4.2's bound, and bl against "
     "the right-hand sides of eq. 18 and eq. 20."),
    ("n-study", "Propagation of chaos in n: a sweep with fitted rates",
     "examples/validation/n_study.toml", ["sweep.n=[100, 200, 400, 800]", "run.replicas=16"],
     ["sde_metrics_bl_plus_mean-n", "sde_chaos_coupling_mean-n"],
     "A [sweep] over n collected into one table (`dislo collect`): E bl(rho_n^+, rho^+) and "
     "the coupling distance at T against n on log-log axes, each with its fitted rate and 95% "
     "interval (tools/fit_rates.py)."),
]
# --check: fewer replicas and smaller n, the same figures.
CHECK_SETS = {"first-run": ["sweep.n=[4, 8, 16]", "run.replicas=4", "mf.M=64",
                            "model.lattice=64", "metrics.law_bins=32"],
              "ensemble": ["run.replicas=4", "model.n=100", "model.n_plus=50"],
              "n-study": ["sweep.n=[50, 100, 200]", "run.replicas=4"]}


def make(entry, args, figures_dir):
    name, _, study, sets, plots, _ = entry
    if plots and isinstance(plots[0], str):
        plots = [("", plots)]
    if args.check:
        sets = sets + CHECK_SETS.get(name, [])
    out = os.path.join(args.work, f"{name}.h5")
    run = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", args.dislo, "run"]
    run += [os.path.join(ROOT, study)] if study else []
    run += ["-o", out, "--overwrite", "--quiet"] + [a for s in sets for a in ("--set", s)]
    start = time.time()
    r = subprocess.run(run, capture_output=True, text=True, cwd=args.work)
    if r.returncode != 0:
        sys.exit(f"gallery: {' '.join(run)} failed:\n{r.stderr}")
    seconds = time.time() - start
    shown = [f"mpiexec -n {args.ranks} dislo run {study + ' ' if study else ''}-o {name}.h5"
             + "".join(f" --set {shlex.quote(s)}" for s in sets)]
    files = []
    for suffix, patterns in plots:
        source = os.path.join(args.work, f"{name}{suffix}.h5")
        png = os.path.join(figures_dir, f"{name}{suffix}.png")
        plot = [sys.executable, os.path.join(ROOT, "tools", "dislo-plot"), source, "-o", png]
        plot += [a for p in patterns for a in ("--figures", p)]
        r = subprocess.run(plot, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"gallery: {' '.join(plot)} failed:\n{r.stderr}")
        # "wrote A, B (names)": the files in the order drawn.
        drawn = r.stdout.split("wrote ", 1)[1].rsplit(" (", 1)[0].split(", ")
        if len(drawn) != len(patterns):
            sys.exit(f"gallery: {name}: expected {len(patterns)} figures, dislo-plot drew "
                     f"{r.stdout}")
        files += drawn
        shown.append(f"tools/dislo-plot {name}{suffix}.h5 -o {name}{suffix}.png"
                     + "".join(f" --figures {shlex.quote(p)}" for p in patterns))
    return files, shown, seconds


def page(results, docs):
    lines = ["# Gallery", "",
             "What dislo draws from its outputs. Made by `tools/gallery.py` (do not edit by hand);",
             "each entry is one run of a study in examples/ and `tools/dislo-plot` on its output,",
             f"with the commands below, on {datetime.date.today().isoformat()} (2 ranks).", ""]
    for (name, title, _, _, _, text), (files, shown, seconds) in results:
        lines += [f"## {title}", "", text, ""]
        lines += [f"    {c}" for c in shown]
        lines += ["", f"({seconds:.0f} s)", ""]
        lines += [f"![{title}](gallery/{os.path.basename(f)})" for f in files]
        lines += [""]
    with open(os.path.join(docs, "gallery.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dislo", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--work", default="gallery-runs")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    figures_dir = args.work if args.check else os.path.join(args.docs, "gallery")
    os.makedirs(figures_dir, exist_ok=True)
    results = [(e, make(e, args, figures_dir)) for e in ENTRIES]
    if not args.check:
        page(results, args.docs)
    for (name, *_), (files, _, seconds) in results:
        print(f"{name}: {len(files)} figures in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
