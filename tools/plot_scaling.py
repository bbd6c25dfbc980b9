#!/usr/bin/python3
"""Plot the scaling table written by jobscripts/scaling.sbatch.

Usage: plot_scaling.py PREFIX.csv [-o PREFIX.png]

The table has one row per (series, tasks): series,tasks,rate,efficiency (weak: rate over
tasks x the 1-task rate; strong and replica: speedup over tasks). Draws two panels against
the number of tasks (log 2 axis): the speedup rate/rate(1 task) of each series beside
ideal (the task count for strong and replica, which divide one problem; weak series
multiply the work with the tasks, so their ideal speedup is the task count as well), and
the efficiency with the targets of the HPC issue (weak >= 0.9; strong speedup >= 1.6 at
2 tasks, i.e. efficiency >= 0.8). Exits 1 with a message on a malformed table.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TARGETS = {"weak": 0.9, "strong": 0.8}
LABELS = {"weak": "ensemble (weak)", "strong": "MF, M = 1024 (strong)",
          "replica": "one SDE replica, n = 1e6 (strong)"}


def read(path):
    series = {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    need = {"series", "tasks", "rate", "efficiency"}
    if not rows or not need <= set(rows[0]):
        sys.exit(f"plot_scaling.py: {path}: expected columns {sorted(need)}")
    for r in rows:
        try:
            series.setdefault(r["series"], []).append(
                (int(r["tasks"]), float(r["rate"]), float(r["efficiency"])))
        except ValueError:
            sys.exit(f"plot_scaling.py: {path}: bad row {r}")
    for points in series.values():
        points.sort()
    return series


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("-o", "--output", help="PNG file (default: the table's name, .png)")
    args = ap.parse_args()
    series = read(args.table)
    out = args.output or os.path.splitext(args.table)[0] + ".png"

    fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(10, 4))
    tasks_all = sorted({t for pts in series.values() for t, _, _ in pts})
    ax_s.plot(tasks_all, tasks_all, "k:", label="ideal")
    for name, pts in series.items():
        tasks = [t for t, _, _ in pts]
        speedup = [r / pts[0][1] for _, r, _ in pts]
        eff = [e for _, _, e in pts]
        label = LABELS.get(name, name)
        ax_s.plot(tasks, speedup, "o-", label=label)
        line, = ax_e.plot(tasks, eff, "o-", label=label)
        if name in TARGETS:
            ax_e.axhline(TARGETS[name], color=line.get_color(), ls="--", lw=0.8,
                         label=f"target ({name})")
    for ax in (ax_s, ax_e):
        ax.set_xscale("log", base=2)
        ax.set_xticks(tasks_all, [str(t) for t in tasks_all])
        ax.set_xlabel("tasks")
        ax.grid(alpha=0.3)
    ax_s.set_ylabel("rate / rate on 1 task")
    ax_e.set_ylabel("efficiency")
    ax_e.set_ylim(0, 1.2)
    ax_s.legend(fontsize=8)
    ax_e.legend(fontsize=8)
    fig.suptitle(os.path.basename(args.table))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
