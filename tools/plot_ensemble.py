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
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import dislo_h5  # noqa: E402
except ImportError:
    sys.exit("plot_ensemble.py needs h5py: run it with /usr/bin/python3 (Debian python3-h5py)")

REFERENCE = {"sde": "mf", "rw": "mfeps"}


def draw_couplings(ax, chaos, times, later):
    """The coupling distances (1/n) E sum |X_i - Xbar_i| against Lemma 4.2's bound."""
    drawn = []
    for m, parts in chaos.items():
        for c, series in parts.items():
            if not isinstance(series, dislo_h5.Series) or c.startswith("xbar_"):
                continue
            if np.all(np.isnan(series.mean)):
                continue
            ax.errorbar(times[later], series.mean[later], yerr=series.stderr[later], fmt="o-",
                        label=f"{m} {c.replace('_', ' ')}")
    for m in sorted(chaos):
        bound = chaos[m]["bound"]
        if any(np.array_equal(bound, b) for b in drawn):
            continue  # the same expression for both models
        drawn.append(bound)
        ax.plot(times[later], bound[later], "k--", label="bound (Lemma 4.2)")
    ax.set(xscale="log", yscale="log", xlabel="t", ylabel="(1/n) E sum |X_i - Xbar_i|",
           title="propagation of chaos: coupling distance and bound")
    # Few output times span less than a decade: the minor tick labels would overlap.
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks(times[later], [f"{t:g}" for t in times[later]])
    ax.legend(fontsize=7)


def draw_theorem_bounds(out, ax, chaos, times):
    """E bl(rho_n, rho) per sign against eq. 18 (SDE) / eq. 20 (RW), and the measured
    Glivenko-Cantelli term of Xbar that the bounds contain."""
    for m, parts in chaos.items():
        eq = "bound_eq18" if m == "sde" else "bound_eq20"
        if eq not in parts:
            continue
        for s in ("plus", "minus"):
            if ("bl", s) in out.metric_names(m):
                bl = out.metric(m, "bl", s)
                ax.errorbar(times, bl.mean, yerr=bl.stderr, fmt="o-", label=f"{m} bl {s}")
            ax.plot(times, parts[f"xbar_bl_{s}"].mean, ":",
                    label=f"{m} bl of Xbar {s} (measured term)")
        ax.plot(times, parts[eq], "--", label=f"{m} {eq.replace('bound_', '')}")
    ax.set(yscale="log", xlabel="t", ylabel="E ||rho_n - rho||*",
           title="bl against the theorems' right-hand sides")
    ax.legend(fontsize=6)


def metrics_figure(out, models):
    """Every metric against time: mean, +- 2 standard errors, certified bracket dotted."""
    times = out.times
    kinds = sorted({k for m in models for k, _ in out.metric_names(m)})
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.5 * len(kinds), 3.6), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        for m in models:
            count = out.replicas(m)
            for sign, style in (("plus", "-"), ("minus", "--")):
                if (kind, sign) not in out.metric_names(m):
                    continue
                metric = out.metric(m, kind, sign)
                line, = ax.plot(times, metric.mean, style, label=f"{m} {sign} ({count} replicas)")
                ax.fill_between(times, metric.mean - 2 * metric.stderr,
                                metric.mean + 2 * metric.stderr, alpha=0.25,
                                color=line.get_color())
                for end in (metric.lower, metric.upper):
                    if end is not None:
                        ax.plot(times, end, ":", lw=0.9, color=line.get_color())
        ax.set_title(kind)
        ax.set_xlabel("t")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def free_pair_density(r):
    """Density of the torus distance between two independent uniform points on the unit
    torus: 2 pi r up to 1/2, then 2 pi r - 8 r acos(1/(2r)) up to sqrt(2)/2."""
    r = np.asarray(r, float)
    inner = 2 * np.pi * r
    with np.errstate(invalid="ignore", divide="ignore"):
        outer = inner - 8 * r * np.arccos(np.minimum(1.0, 1 / (2 * np.maximum(r, 1e-300))))
    return np.where(r <= 0.5, inner, np.where(r <= np.sqrt(0.5), outer, 0.0))


def block_mean(field, cells):
    k = field.shape[0] // cells
    return field.reshape(cells, k, cells, k).mean(axis=(1, 3))


def common_cells(law, ref, most=32):
    """A law and its mean field as cell averages on one grid of at most `most` cells a side
    that divides both (densities, so block means keep them comparable); ref None if none."""
    sizes = [law.shape[0]] + ([ref.shape[0]] if ref is not None else [])
    cells = math.gcd(*sizes)
    while cells > most and cells % 2 == 0:
        cells //= 2
    if ref is not None and any(n % cells for n in sizes):
        return law, None
    return block_mean(law, cells), (block_mean(ref, cells) if ref is not None else None)


def pair_gibbs_density(delta, exponent, edges, grid=512):
    """Density in |r| on the unit torus of exp(exponent V_delta(r)) for the gaussian kernel
    (V_delta's Fourier series, models.md), and of the uniform law, on the bins `edges`.
    exponent = beta/n for opposite signs (the two-body Gibbs factor; exact for n = 2, the
    Gibbs dipole), -beta/n for equal signs."""
    k = np.fft.fftfreq(grid, 1 / grid)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    vhat = np.where(k2 > 0, np.exp(-2 * np.pi ** 2 * delta ** 2 * k2)
                    / (4 * np.pi ** 2 * np.maximum(k2, 1)), 0)
    V = np.real(np.fft.ifft2(vhat)) * grid * grid
    x = np.arange(grid) / grid
    x = np.where(x >= 0.5, x - 1, x)
    rho = np.sqrt(x[:, None] ** 2 + x[None, :] ** 2)
    mass, _ = np.histogram(rho.ravel(), bins=edges, weights=np.exp(exponent * V).ravel())
    area, _ = np.histogram(rho.ravel(), bins=edges)
    widths = np.diff(edges)
    return mass / mass.sum() / widths, area / area.sum() / widths


def pair_references(out, r):
    """{"opposite": ..., "equal": ...}: the two-body Gibbs factor's pair laws at the bin
    centres r, for the gaussian kernel at finite beta; {} otherwise."""
    model, potential = out.study.get("model", {}), out.study.get("potential", {})
    beta, n = model.get("beta"), model.get("n")
    if potential.get("kind", "gaussian") != "gaussian" or not isinstance(beta, (int, float)) \
            or not n or len(r) < 2:
        return {}
    strength = potential.get("strength", 1.0)
    width = r[1] - r[0]
    edges = np.concatenate([r - width / 2, [r[-1] + width / 2]])
    exponent = strength * beta / n
    return {"opposite": pair_gibbs_density(model["delta"], exponent, edges)[0],
            "equal": pair_gibbs_density(model["delta"], -exponent, edges)[0]}


def laws_figure(out, models):
    """At the last time: each law beside the mean field it estimates and their difference;
    the pair-distance laws of opposite and equal signs against the law without interaction,
    and their ratio to it (above 1 at short range for opposite signs: dipoles)."""
    rows = [(m, s) for m in models for s in ("plus", "minus")]
    fig, axes = plt.subplots(len(rows), 4, figsize=(16, 3.4 * len(rows)), squeeze=False,
                             layout="constrained")
    for (m, s), ax in zip(rows, axes):
        law = out.density(m, s, -1)
        ref = out.density(REFERENCE[m], s, -1) if REFERENCE[m] in out.models else None
        law, ref = common_cells(law, ref)
        lo = min(law.min(), ref.min() if ref is not None else law.min())
        hi = max(law.max(), ref.max() if ref is not None else law.max())
        ax[0].imshow(law.T, origin="lower", extent=[0, 1, 0, 1], vmin=lo, vmax=hi)
        ax[0].set_title(f"{m} law rho_{s}, t = {out.times[-1]:g}")
        if ref is not None:
            im = ax[1].imshow(ref.T, origin="lower", extent=[0, 1, 0, 1], vmin=lo, vmax=hi)
            ax[1].set_title(f"{REFERENCE[m]} rho_{s}, {law.shape[0]}^2 cells")
            fig.colorbar(im, ax=ax[:2], shrink=0.8)
            diff = law - ref
            bound = max(abs(diff.min()), abs(diff.max()), 1e-300)
            im = ax[2].imshow(diff.T, origin="lower", extent=[0, 1, 0, 1], cmap="RdBu_r",
                              vmin=-bound, vmax=bound)
            ax[2].set_title(f"law - {REFERENCE[m]}")
            fig.colorbar(im, ax=ax[2], shrink=0.8)
        else:
            ax[1].axis("off")
            ax[2].axis("off")
        pairs = out.pair_law(m)
        r = pairs["r"]
        free = free_pair_density(r)
        gibbs = pair_references(out, r)
        # The ratio on bins 4 times wider (sums of density x width), so that short range,
        # where few pairs fall, is not all noise.
        near = r < 0.5
        coarse = 4 * (int(near.sum()) // 4)

        def ratio(density):
            top = density[:coarse].reshape(-1, 4).sum(axis=1)
            return top / free[:coarse].reshape(-1, 4).sum(axis=1)

        rc = r[:coarse].reshape(-1, 4).mean(axis=1)
        for cls, style, color in (("pair_opposite", "-", "C0"), ("pair_equal", "--", "C1")):
            signs = cls.replace("pair_", "")
            law = pairs[cls][-1]
            if s == "plus":
                ax[3].plot(r, law, style, color=color, label=f"{signs} signs")
            else:
                ax[3].plot(rc, ratio(law), style + "o", color=color, ms=3,
                           label=f"{signs} signs")
            if signs in gibbs:
                ref = gibbs[signs] if s == "plus" else ratio(gibbs[signs])
                ax[3].plot(r if s == "plus" else rc, ref, ":", color=color, lw=1.5,
                           label=f"{signs}: two-body Gibbs factor")
        if s == "plus":
            ax[3].plot(r, free, "k:", label="no interaction")
            ax[3].set_title(f"{m} pair-distance laws, t = {out.times[-1]:g}")
            ax[3].legend(fontsize=7)
        else:
            ax[3].axhline(1, color="k", lw=0.8, ls=":")
            ax[3].set_title(f"{m} pair laws / no interaction")
            ax[3].legend(fontsize=7)
        ax[3].set_xlabel("|x_i - x_j|")
    return fig


def chaos_figure(out, chaos):
    """Couplings against Lemma 4.2's bound; bl against eq. 18 / eq. 20."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    later = out.times > 0  # log axes: t = 0 (distance and bound 0) is left out
    draw_couplings(axes[0], chaos, out.times, later)
    draw_theorem_bounds(out, axes[1], chaos, out.times)
    fig.tight_layout()
    return fig


def ensemble_figures(out):
    """[(name, figure)] for the ensembles of a dislo_h5.Output: metrics, laws and (with
    [chaos]) couplings; empty when the file holds no ensemble."""
    models = [m for m in ("sde", "rw") if out.metric_names(m)]
    if not models:
        return []
    figures = [("metrics", metrics_figure(out, models)), ("laws", laws_figure(out, models))]
    chaos = {m: parts for m in models if (parts := out.chaos(m))}
    if chaos:
        figures.append(("chaos", chaos_figure(out, chaos)))
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--prefix")
    a = ap.parse_args()
    prefix = a.prefix or os.path.splitext(a.file)[0]
    try:
        figures = ensemble_figures(dislo_h5.Output(a.file))
    except dislo_h5.FileError as e:
        sys.exit(str(e))
    if not figures:
        sys.exit(f"{a.file}: no /sde or /rw ensemble in this file")
    for name, fig in figures:
        fig.savefig(f"{prefix}-{name}.png", dpi=110 if name != "laws" else 90)
        plt.close(fig)
    print("wrote " + " and ".join(f"{prefix}-{name}.png" for name, _ in figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
