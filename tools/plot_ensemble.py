#!/usr/bin/python3
"""Plot the particle ensembles of a dislo output file.

Usage: plot_ensemble.py OUT.h5 [-o PREFIX]

Writes two PNGs (PREFIX defaults to OUT without .h5):
  PREFIX-metrics.png  every metric of /sde/metrics and /rw/metrics against time, one panel
                      per kind (bl, w1, hs), a line per model and sign, the mean with a band
                      of +- 2 standard errors over replicas;
  PREFIX-laws.png     at the last output time, the replica-averaged one-particle laws
                      (/sde/law, /rw/law) beside the mean-field densities they estimate
                      (/mf for SDE, /mfeps for RW), one row per model and sign, one colour
                      scale per row; and the pair-distance densities;
  PREFIX-chaos.png    with [chaos] coupling = true: the coupling distances (1/n) E sum
                      |X_i - Xbar_i| (/sde/chaos, /rw/chaos) against time beside Lemma 4.2's
                      bound, on log axes.
Arrays are x-major (array[i, j] at x = i/G, y = j/G): transposed for imshow.
Exits 1 with a message if the file holds no ensemble. See docs/ensembles.md.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

try:
    import h5py
except ImportError:
    sys.exit("plot_ensemble.py needs h5py: run it with /usr/bin/python3 (Debian python3-h5py)")

REFERENCE = {"sde": "mf", "rw": "mfeps"}


def draw_couplings(f, ax, chaos, times, later):
    """The coupling distances (1/n) E sum |X_i - Xbar_i| against Lemma 4.2's bound."""
    for m, c in chaos:
        mean, err = f[f"{m}/chaos/{c}/mean"][...], f[f"{m}/chaos/{c}/stderr"][...]
        if np.all(np.isnan(mean)):
            continue
        ax.errorbar(times[later], mean[later], yerr=err[later], fmt="o-",
                    label=f"{m} {c.replace('_', ' ')}")
    drawn = []
    for m in sorted({m for m, _ in chaos}):
        bound = f[f"{m}/chaos/bound"][...]
        if any(np.array_equal(bound, b) for b in drawn):
            continue  # the same expression for both models
        drawn.append(bound)
        ax.plot(times[later], bound[later], "k--", label="bound (Lemma 4.2)")
    ax.set(xscale="log", yscale="log", xlabel="t", ylabel="(1/n) E sum |X_i - Xbar_i|",
           title="propagation of chaos: coupling distance and bound")
    ax.legend(fontsize=7)


def draw_theorem_bounds(f, ax, models, times, later):
    """E bl(rho_n, rho) per sign against eq. 18 (SDE) / eq. 20 (RW), and the measured
    Glivenko-Cantelli term of Xbar that the bounds contain."""
    for m in models:
        eq = "bound_eq18" if m == "sde" else "bound_eq20"
        if f"{m}/chaos/{eq}" not in f:
            continue
        for s in ("plus", "minus"):
            if f"{m}/metrics/bl_{s}" in f:
                g = f[f"{m}/metrics/bl_{s}"]
                ax.errorbar(times, g["mean"][...], yerr=g["stderr"][...], fmt="o-",
                            label=f"{m} bl {s}")
            ax.plot(times, f[f"{m}/chaos/xbar_bl_{s}/mean"][...], ":",
                    label=f"{m} bl of Xbar {s} (measured term)")
        ax.plot(times, f[f"{m}/chaos/{eq}"][...], "--", label=f"{m} {eq.replace('bound_', '')}")
    ax.set(yscale="log", xlabel="t", ylabel="E ||rho_n - rho||*",
           title="bl against the theorems' right-hand sides")
    ax.legend(fontsize=6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--prefix")
    a = ap.parse_args()
    prefix = a.prefix or os.path.splitext(a.file)[0]
    with h5py.File(a.file, "r") as f:
        models = [m for m in ("sde", "rw") if f"{m}/metrics" in f]
        if not models:
            sys.exit(f"{a.file}: no /sde or /rw ensemble in this file")
        times = f["times"][...]
        kinds = sorted({name.rsplit("_", 1)[0] for m in models for name in f[f"{m}/metrics"]})
        fig, axes = plt.subplots(1, len(kinds), figsize=(4.5 * len(kinds), 3.6), squeeze=False)
        for ax, kind in zip(axes[0], kinds):
            for m in models:
                count = int(f[f"{m}/replicas"].attrs["count"])
                for sign, style in (("plus", "-"), ("minus", "--")):
                    g = f"{m}/metrics/{kind}_{sign}"
                    if g not in f:
                        continue
                    mean, err = f[f"{g}/mean"][...], f[f"{g}/stderr"][...]
                    line, = ax.plot(times, mean, style, label=f"{m} {sign} ({count} replicas)")
                    ax.fill_between(times, mean - 2 * err, mean + 2 * err, alpha=0.25,
                                    color=line.get_color())
                    # The certified bracket (w1, bl): mean of each replica's bounds, dotted.
                    if f"{g}/lower" in f:
                        for end in ("lower", "upper"):
                            ax.plot(times, f[f"{g}/{end}"][...], ":", lw=0.9,
                                    color=line.get_color())
            ax.set_title(kind)
            ax.set_xlabel("t")
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(prefix + "-metrics.png", dpi=110)
        plt.close(fig)

        rows = [(m, s) for m in models for s in ("plus", "minus")]
        fig, axes = plt.subplots(len(rows), 3, figsize=(11, 3.3 * len(rows)), squeeze=False)
        for (m, s), ax in zip(rows, axes):
            law = f[f"{m}/law/rho_{s}"][-1]
            ref_path = f"{REFERENCE[m]}/rho_{s}"
            ref = f[ref_path][-1] if ref_path in f else None
            lo = min(law.min(), ref.min() if ref is not None else law.min())
            hi = max(law.max(), ref.max() if ref is not None else law.max())
            ax[0].imshow(law.T, origin="lower", extent=[0, 1, 0, 1], vmin=lo, vmax=hi)
            ax[0].set_title(f"{m} law rho_{s}, t = {times[-1]:g}")
            if ref is not None:
                im = ax[1].imshow(ref.T, origin="lower", extent=[0, 1, 0, 1], vmin=lo, vmax=hi)
                ax[1].set_title(f"{REFERENCE[m]} rho_{s}")
                fig.colorbar(im, ax=ax[:2], shrink=0.8)
            else:
                ax[1].axis("off")
            r = f[f"{m}/law/r"][...]
            cls = "pair_equal" if s == "plus" else "pair_opposite"
            ax[2].plot(r, f[f"{m}/law/{cls}"][-1])
            ax[2].set_title(f"{m} {cls.replace('_', ' ')} distances")
            ax[2].set_xlabel("|x_i - x_j|")
        fig.savefig(prefix + "-laws.png", dpi=90)
        plt.close(fig)
        chaos = [(m, c) for m in models if f"{m}/chaos" in f for c in f[f"{m}/chaos"]
                 if isinstance(f[f"{m}/chaos/{c}"], h5py.Group) and not c.startswith("xbar_")]
        if chaos:
            fig, axes = plt.subplots(1, 2, figsize=(11, 4))
            later = times > 0  # log axes: t = 0 (distance and bound 0) is left out
            draw_couplings(f, axes[0], chaos, times, later)
            draw_theorem_bounds(f, axes[1], sorted({m for m, _ in chaos}), times, later)
            fig.tight_layout()
            fig.savefig(prefix + "-chaos.png", dpi=110)
            plt.close(fig)
    print(f"wrote {prefix}-metrics.png and {prefix}-laws.png" + (" and -chaos.png" if chaos else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
