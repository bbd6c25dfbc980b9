#!/usr/bin/python3
"""Fit a power law y = C x^p to a collected table (`dislo collect ... -o T.h5`).

Usage: fit_rates.py T.h5 --y VALUE --x PARAM [--t T] [--where KEY=VALUE ...]
                    [--level 0.95] [--plot FIG.png [--reference-slope P]] [--json]

Picks the rows of one output time (--t: the nearest time present; default the largest),
keeps those matching every --where (numbers equal to a relative 1e-9, strings exactly),
drops rows whose y is NaN or not positive (noted on stderr), and fits
log y = log C + p log x by least squares. Rows sharing an x (other seeds) stay separate
points. Where the table has the matching standard-error column (.../mean -> .../stderr,
.../NAME -> .../NAME_stderr) the fit is weighted with sigma(log y) = stderr / y and the
interval is normal, widened by sqrt(reduced chi2) when that exceeds 1; otherwise it is
ordinary least squares with a Student-t interval on points - 2 degrees of freedom.
Prints the points and the slope with its confidence interval (or, with --json, one JSON
object); --plot draws them on log-log axes. Exits 2 with one line on stderr when the
file, a column or enough points are missing.

Examples (run with Debian's /usr/bin/python3, which has h5py):
  # Lattice study: law distance to the exact solution against eps = 1/L, slope about 2.
  tools/fit_rates.py eps.h5 --x eps --y exact2/l2_law_distance --where n=1000 --plot eps.png
  # Particle-number study: bounded-Lipschitz distance against n, slope about -1/2.
  tools/fit_rates.py n.h5 --x n --y sde/metrics/bl_plus/mean --t 1.0 \\
      --where delta=0.0625 --plot n.png --reference-slope -0.5

Other scripts import fit_power_law from here.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import dislo_h5  # noqa: E402
except ImportError:
    sys.exit("fit_rates.py needs h5py: run it with /usr/bin/python3 (Debian python3-h5py)")

RTOL = 1e-9  # --where and --t compare numbers to this relative tolerance


class UsageError(Exception):
    """A missing file, column or point: reported as one line, exit status 2."""


def fit_power_law(x, y, stderr=None, level=0.95):
    """Least-squares fit of log y = log(prefactor) + slope * log x.

    With stderr (of y, same length), weighted by 1 / (stderr / y)^2; the slope's standard
    error is the weighted fit's, times sqrt(max(1, reduced chi2)) so that scatter beyond the
    stated errors widens the interval but consistent data do not narrow it, and the
    interval uses the normal quantile. Without stderr, ordinary least squares and a
    Student-t interval on points - 2 degrees of freedom. Needs >= 2 points with stderr,
    >= 3 without, all positive, and two distinct x. Raises ValueError otherwise.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length ({x.size} and {y.size})")
    if not 0 < level < 1:
        raise ValueError(f"level {level} is not in (0, 1)")
    weighted = stderr is not None
    need = 2 if weighted else 3
    if x.size < need:
        raise ValueError(f"{x.size} point(s), {'a weighted' if weighted else 'an unweighted'} "
                         f"fit needs {need}")
    if not (np.all(np.isfinite(x)) and np.all(x > 0) and np.all(np.isfinite(y))
            and np.all(y > 0)):
        raise ValueError("x and y must be finite and positive")
    u, v = np.log(x), np.log(y)
    if weighted:
        s = np.asarray(stderr, dtype=float).ravel()
        if s.shape != y.shape or not (np.all(np.isfinite(s)) and np.all(s > 0)):
            raise ValueError("stderr must be finite, positive and as long as y")
        w = (y / s) ** 2
    else:
        w = np.ones_like(u)
    # Centred sums: well conditioned even for x spanning many decades.
    ubar, vbar = np.average(u, weights=w), np.average(v, weights=w)
    suu = np.sum(w * (u - ubar) ** 2)
    if not suu > 0:
        raise ValueError("x takes a single value: no slope to fit")
    slope = np.sum(w * (u - ubar) * (v - vbar)) / suu
    intercept = vbar - slope * ubar
    resid = v - intercept - slope * u
    dof = x.size - 2
    chi2 = float(np.sum(w * resid ** 2))
    if weighted:
        reduced = chi2 / dof if dof > 0 else math.nan
        scale = max(1.0, reduced) if dof > 0 else 1.0
        se = math.sqrt(scale / suu)
        quantile = stats.norm.ppf(0.5 + level / 2)
    else:
        reduced = math.nan  # no stated errors: chi2 has no scale
        se = math.sqrt(chi2 / dof / suu)
        quantile = stats.t.ppf(0.5 + level / 2, dof)
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "prefactor": float(math.exp(intercept)),
        "stderr_slope": se,
        "ci_low": float(slope - quantile * se),
        "ci_high": float(slope + quantile * se),
        "level": level,
        "points": int(x.size),
        "dof": dof,
        "reduced_chi2": reduced,
        "rms_log_residual": float(math.sqrt(np.mean(resid ** 2))),
        "weighted": weighted,
    }


def stderr_column(y):
    """The standard-error column that goes with value column y, by the output's naming."""
    if y.endswith("/mean"):
        return y[: -len("mean")] + "stderr"
    return y + "_stderr"


def read_columns(path):
    """The collected table's columns and row count (dislo_h5.read_table)."""
    try:
        return dislo_h5.read_table(path)
    except dislo_h5.FileError as e:
        raise UsageError(str(e)) from None


def is_text(column):
    return column.dtype == object


def parse_where(items, columns, path):
    """--where KEY=VALUE items as (key, value, mask)."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--where {item}: expected KEY=VALUE")
        column = columns.get(key)
        if column is None:
            raise UsageError(f"{path}: no column '{key}' for --where; available: "
                             + ", ".join(sorted(columns)))
        if is_text(column):
            mask = column == value
        else:
            try:
                number = float(value)
            except ValueError:
                raise UsageError(f"--where {item}: column '{key}' is numeric")
            mask = np.isclose(column.astype(float), number, rtol=RTOL, atol=0.0)
        out.append((key, value, mask))
    return out


def select(path, columns, rows, xname, yname, t, where):
    """The rows to fit: x, y, stderr (None when unweighted), the chosen time, and notes for
    stderr (printed only when the fit succeeds, so that a failure stays one line)."""
    for name, role in ((yname, "--y"), (xname, "--x")):
        if name not in columns or is_text(columns[name]):
            raise UsageError(f"{path}: no numeric column '{name}' ({role}); available: "
                             + ", ".join(sorted(c for c in columns if not is_text(columns[c]))))
    notes = []
    mask = np.ones(rows, dtype=bool)
    for _, _, m in where:
        mask &= m
    filters = " ".join(f"{k}={v}" for k, v, _ in where)
    if not mask.any():
        raise UsageError(f"{path}: no rows left after --where {filters}" if filters
                         else f"{path}: the table has no rows")

    chosen = None
    if xname == "t":
        if t is not None:
            raise UsageError("--t picks one time: it cannot go with --x t")
    elif "t" in columns:
        times = np.unique(columns["t"][mask])
        times = times[np.isfinite(times)]
        if times.size == 0:
            raise UsageError(f"{path}: no finite t in the rows left after the filters")
        chosen = float(times[-1] if t is None else times[np.argmin(np.abs(times - t))])
        if t is not None and not math.isclose(chosen, t, rel_tol=RTOL):
            notes.append(f"--t {t:g}: using the nearest output time, t = {chosen:g}")
        mask &= np.isclose(columns["t"], chosen, rtol=RTOL, atol=0.0)
    elif t is not None:
        raise UsageError(f"{path}: no column 't' for --t")

    x = columns[xname].astype(float)
    y = columns[yname].astype(float)
    sname = stderr_column(yname)
    s = columns[sname].astype(float) if sname in columns and not is_text(columns[sname]) \
        else None
    if s is not None and not np.any(mask & np.isfinite(s) & (s > 0)):
        notes.append(f"{sname}: no finite positive values in these rows: unweighted fit")
        s = None

    bad_y = mask & ~(np.isfinite(y) & (y > 0))
    bad_x = mask & ~bad_y & ~(np.isfinite(x) & (x > 0))
    bad_s = (mask & ~bad_y & ~bad_x & ~(np.isfinite(s) & (s > 0))) if s is not None \
        else np.zeros(rows, dtype=bool)
    keep = mask & ~bad_y & ~bad_x & ~bad_s
    dropped = []
    for count, why in ((bad_y.sum(), f"{yname} NaN or not positive"),
                       (bad_x.sum(), f"{xname} NaN or not positive"),
                       (bad_s.sum(), f"{sname} NaN or not positive")):
        if count:
            dropped.append(f"{count} row(s) with {why}")
    if dropped:
        notes.append("dropped " + "; ".join(dropped))
    if not keep.any():
        raise UsageError(f"{path}: {yname}: no rows left after the filters"
                         + (f" ({'; '.join(dropped)})" if dropped else ""))
    order = np.argsort(x[keep], kind="stable")
    return (x[keep][order], y[keep][order], None if s is None else s[keep][order], chosen,
            filters, dropped, notes)


def describe(yname, xname, t, filters):
    parts = [f"{yname} against {xname}"]
    if t is not None:
        parts.append(f"t = {t:g}")
    if filters:
        parts.append(filters)
    return ", ".join(parts)


def rate_figure(x, y, s, fit, xname, title, reference=None):
    """The data on log-log axes with the fitted power law (and a reference slope)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    ax.errorbar(x, y, yerr=s, fmt="o", ms=4, capsize=2, label="data")
    grid = np.geomspace(x.min(), x.max(), 50)
    pct = f"{100 * fit['level']:g}%"
    ax.plot(grid, fit["prefactor"] * grid ** fit["slope"], "-",
            label=f"fit: p = {fit['slope']:.3f} ± {fit['stderr_slope']:.3f}, "
                  f"{pct} CI [{fit['ci_low']:.3f}, {fit['ci_high']:.3f}]")
    if reference is not None:
        # Through the geometric mean of the data: the reference is about the slope only.
        gx, gy = np.exp(np.mean(np.log(x))), np.exp(np.mean(np.log(y)))
        ax.plot(grid, gy * (grid / gx) ** reference, "--", color="grey",
                label=f"slope {reference:g} (reference)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xname)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot(path, x, y, s, fit, xname, title, reference):
    import matplotlib.pyplot as plt

    fig = rate_figure(x, y, s, fit, xname, title, reference)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def json_number(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table", help="collected table (dislo collect ... -o T.h5)")
    ap.add_argument("--y", required=True, help="value column, e.g. sde/metrics/bl_plus/mean")
    ap.add_argument("--x", required=True, help="parameter column, e.g. n or eps")
    ap.add_argument("--t", type=float, help="output time (nearest present; default largest)")
    ap.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                    help="keep rows with KEY equal to VALUE (repeatable)")
    ap.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    ap.add_argument("--plot", metavar="FIG.png", help="write a log-log plot")
    ap.add_argument("--reference-slope", type=float, metavar="P",
                    help="with --plot: a dashed line of slope P")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args(argv)
    try:
        if not 0 < a.level < 1:
            raise UsageError(f"--level {a.level}: must be in (0, 1)")
        columns, rows = read_columns(a.table)
        where = parse_where(a.where, columns, a.table)
        x, y, s, t, filters, dropped, notes = select(a.table, columns, rows, a.x, a.y, a.t,
                                                     where)
        try:
            fit = fit_power_law(x, y, s, a.level)
        except ValueError as e:
            why = f"; {'; '.join(dropped)}" if dropped else ""
            raise UsageError(f"{a.table}: {a.y} against {a.x}: {e}{why}")
    except UsageError as e:
        print(f"fit_rates: {e}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"fit_rates: note: {note}", file=sys.stderr)

    if a.plot:
        title = a.y + (f" at t = {t:g}" if t is not None else "")
        plot(a.plot, x, y, s, fit, a.x, title + (f"\n{filters}" if filters else ""),
             a.reference_slope)
    if a.json:
        out = {"x": a.x, "y": a.y, "t": t, "where": a.where, "file": a.table}
        out.update({k: json_number(fit[k]) for k in (
            "slope", "ci_low", "ci_high", "stderr_slope", "prefactor", "points",
            "reduced_chi2", "rms_log_residual", "level", "weighted")})
        print(json.dumps(out))
        return 0
    print(f"{describe(a.y, a.x, t, filters)}  ({a.table})")
    print(f"{a.x:>14} {'y':>14} {'stderr':>14}")
    for i in range(x.size):
        err = f"{s[i]:14.6g}" if s is not None else f"{'-':>14}"
        print(f"{x[i]:14.6g} {y[i]:14.6g} {err}")
    tail = (f"reduced chi2 {fit['reduced_chi2']:.2f}" if fit["weighted"] and fit["dof"] > 0
            else "reduced chi2 undefined (2 points)" if fit["weighted"]
            else f"unweighted (no {stderr_column(a.y)}), rms log residual "
                 f"{fit['rms_log_residual']:.3g}")
    print(f"slope p = {fit['slope']:.4f} +- {fit['stderr_slope']:.4f} "
          f"({100 * a.level:g}% CI [{fit['ci_low']:.4f}, {fit['ci_high']:.4f}]), "
          f"prefactor {fit['prefactor']:.3g}, {fit['points']} points, {tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
