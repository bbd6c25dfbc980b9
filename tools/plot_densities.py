#!/usr/bin/python3
"""Plot the mean-field densities rho+ and rho- of a dislo output file.

Usage: plot_densities.py OUT.h5 [-o OUT.png] [--times i,j,...]

For each of /mf and /mfeps present in the file, draws a figure block with one row per
sign (rho_plus, rho_minus) and one column per output time: up to 4 times chosen evenly
from /times unless --times gives the indices. Arrays are x-major (array[i, j] is at
x = i/G, y = j/G), so they are transposed for imshow (origin lower, extent [0,1]^2).
Each sign of each model shares one colour scale. Writes a PNG, by default OUT.png next
to the input. Exits 1 with a message if the file holds neither /mf nor /mfeps.
See docs/hdf5-layout.md.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import dislo_h5  # noqa: E402
except ImportError:
    sys.exit("plot_densities.py needs h5py: run it with /usr/bin/python3 (Debian python3-h5py)")

MODELS = ("mf", "mfeps")
SIGNS = (("plus", r"$\rho^+$"), ("minus", r"$\rho^-$"))


def even_indices(nt, k=4):
    """Up to k indices spread evenly over range(nt), first and last included."""
    if nt <= k:
        return list(range(nt))
    return sorted({int(round(x)) for x in np.linspace(0, nt - 1, k)})


def parse_times(text, nt):
    try:
        idx = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        sys.exit(f"--times wants comma-separated indices into /times, got {text!r}")
    bad = [i for i in idx if not -nt <= i < nt]
    if bad or not idx:
        sys.exit(f"--times {text}: indices must lie in [0, {nt}) (the file has {nt} times)")
    return [i % nt for i in idx]


def density_figure(out, times_text=None):
    """rho+ and rho- of /mf and /mfeps (rows) at up to 4 output times (columns), or None
    when the file holds neither."""
    models = [m for m in MODELS if m in out.models]
    if not models:
        return None
    fields = {(m, s): out.density(m, s) for m in models for s, _ in SIGNS}
    nt = min(f.shape[0] for f in fields.values())
    if nt == 0:
        return None
    cols = parse_times(times_text, nt) if times_text else even_indices(nt)
    nrows, ncols = 2 * len(models), len(cols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 1.2, 2.9 * nrows),
                             squeeze=False, constrained_layout=True)
    for mi, m in enumerate(models):
        for si, (sign, label) in enumerate(SIGNS):
            slices = [fields[m, sign][t] for t in cols]
            vmin = min(float(np.min(s)) for s in slices)
            vmax = max(float(np.max(s)) for s in slices)
            if vmax <= vmin:
                vmax = vmin + 1e-12 * max(1.0, abs(vmin))
            row = axes[2 * mi + si]
            im = None
            for ax, t, s in zip(row, cols, slices):
                im = ax.imshow(s.T, origin="lower", extent=(0, 1, 0, 1), vmin=vmin, vmax=vmax,
                               cmap="viridis", interpolation="nearest")
                ax.set_title(f"{m} {label}, t = {float(out.times[t]):.4g}")
                ax.set_xlabel("x")
                ax.set_ylabel("y")
            fig.colorbar(im, ax=list(row), shrink=0.9)
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="dislo HDF5 output")
    ap.add_argument("-o", "--output", help="PNG to write (default: FILE with .png)")
    ap.add_argument("--times", help="comma-separated indices into /times")
    a = ap.parse_args()
    try:
        fig = density_figure(dislo_h5.Output(a.file), a.times)
    except dislo_h5.FileError as e:
        sys.exit(str(e))
    if fig is None:
        sys.exit(f"{a.file}: neither /mf nor /mfeps holds rho_plus and rho_minus; nothing to plot")
    out = a.output or os.path.splitext(a.file)[0] + ".png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
