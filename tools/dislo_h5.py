"""Read dislo's outputs as plain numpy arrays and dicts, with the names of docs/contract.md.

For analysis scripts (Debian's /usr/bin/python3, which has h5py and numpy):

    import sys; sys.path.insert(0, "tools")      # or the installed share/dislo/tools
    import dislo_h5
    out = dislo_h5.Output("run.h5")
    out.times                         # [nt]
    out.study["model"]["n"]           # the resolved study, as a dict
    out.models                        # models present, e.g. ["mf", "mfeps", "sde", "rw"]
    rho = out.density("mf", "plus")   # [nt, M, M] (mf, mfeps; sde and rw: their laws)
    w1 = out.metric("sde", "w1", "plus")
    w1.mean, w1.stderr, w1.lower, w1.upper   # [nt] each; lower/upper None where absent
    out.chaos("sde")                  # {"coupling": Series, "bound": [nt], ...}
    out.pair_law("sde")               # {"r": [nr], "pair_opposite": [nt, nr], ...}
    out.summary                       # {"wall_seconds": ..., ...}

    table = dislo_h5.read_table("nstudy.h5")   # `dislo collect`'s table: {column: [rows]}

Everything is read when asked for and returned as numpy arrays or Python values; the file
is not held open. A file that is missing, unreadable or not a dislo output raises FileError
with a one-line reason.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass

import h5py
import numpy as np

MODELS = ("mf", "mfeps", "sde", "rw", "exact2")


class FileError(Exception):
    """A file that cannot be read as a dislo output or table."""


@dataclass
class Metric:
    """A distance against time: replica mean, its standard error, and (w1, bl) the mean of
    the replicas' certified lower and upper bounds."""
    mean: np.ndarray
    stderr: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None


@dataclass
class Series:
    """A replica mean against time with its standard error."""
    mean: np.ndarray
    stderr: np.ndarray


def _plain(value):
    """An HDF5 attribute as a Python value (str, int, float, bool or a list of them)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype.kind in "SO" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _open(path):
    if not os.path.exists(path):
        raise FileError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise FileError(f"{path}: not a readable HDF5 file ({e})") from None


class Output:
    """One `dislo run` output (docs/contract.md, "HDF5 output")."""

    def __init__(self, path: str):
        self.path = path
        with _open(path) as f:
            if "times" not in f or "study" not in f.attrs:
                raise FileError(f"{path}: not a dislo run output (no /times or no study attribute;"
                                " a `dislo collect` table is read by read_table)")
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            self.times = f["times"][...]
            self.models = [m for m in MODELS if m in f]
            self.summary = ({k: _plain(v) for k, v in f["summary"].attrs.items()}
                            if "summary" in f else {})
        try:
            self.study = tomllib.loads(self.attrs["study"])
        except tomllib.TOMLDecodeError as e:
            raise FileError(f"{path}: its study attribute is not TOML ({e})") from None

    def _read(self, name):
        with _open(self.path) as f:
            if name not in f:
                raise KeyError(f"{self.path}: no /{name}")
            return f[name][...]

    def replicas(self, model: str) -> int:
        """The replicas of an ensemble (sde, rw) that completed."""
        with _open(self.path) as f:
            return int(f[f"{model}/replicas"].attrs["count"])

    def density(self, model: str, sign: str, time_index: int | None = None) -> np.ndarray:
        """mf, mfeps: the density of `sign` ([nt, M, M], or [M, M] at one time index); sde,
        rw: the replica-averaged law (/<model>/law/rho_<sign>), likewise."""
        group = "" if model in ("mf", "mfeps") else "law/"
        field = self._read(f"{model}/{group}rho_{sign}")
        return field if time_index is None else field[time_index]

    def metric_names(self, model: str) -> list[tuple[str, str]]:
        """The (kind, sign) pairs of /<model>/metrics."""
        with _open(self.path) as f:
            if f"{model}/metrics" not in f:
                return []
            return sorted(tuple(name.rsplit("_", 1)) for name in f[f"{model}/metrics"])

    def metric(self, model: str, kind: str, sign: str) -> Metric:
        """/<model>/metrics/<kind>_<sign>: mean, stderr and (w1, bl) lower, upper."""
        with _open(self.path) as f:
            name = f"{model}/metrics/{kind}_{sign}"
            if name not in f:
                raise KeyError(f"{self.path}: no /{name}")
            g = f[name]
            end = {e: (g[e][...] if e in g else None) for e in ("lower", "upper")}
            return Metric(g["mean"][...], g["stderr"][...], end["lower"], end["upper"])

    def metrics(self, model: str) -> dict[str, Metric]:
        """Every metric of a model, by its group name ("w1_plus", ...)."""
        return {f"{k}_{s}": self.metric(model, k, s) for k, s in self.metric_names(model)}

    def chaos(self, model: str) -> dict:
        """/<model>/chaos: each coupling or mean-field distance as a Series, each bound
        (bound, bound_eq18, bound_eq20) as an array with its attributes under "<name>.attrs"."""
        out = {}
        with _open(self.path) as f:
            if f"{model}/chaos" not in f:
                return out
            for name, obj in f[f"{model}/chaos"].items():
                if isinstance(obj, h5py.Group):
                    out[name] = Series(obj["mean"][...], obj["stderr"][...])
                else:
                    out[name] = obj[...]
                    if obj.attrs:
                        out[name + ".attrs"] = {k: _plain(v) for k, v in obj.attrs.items()}
        return out

    def pair_law(self, model: str) -> dict[str, np.ndarray]:
        """/<model>/law/{r, pair_opposite, pair_equal}: bin centres and densities [nt, nr]."""
        with _open(self.path) as f:
            law = f[f"{model}/law"] if f"{model}/law" in f else {}
            return {k: law[k][...] for k in ("r", "pair_opposite", "pair_equal") if k in law}


def read_table(path: str) -> tuple[dict[str, np.ndarray], int]:
    """A `dislo collect` table: every 1-d dataset as long as the table (attribute `rows`,
    else the `t` column), by path, strings as arrays of str; and the number of rows."""
    with _open(path) as f:
        rows = int(f.attrs["rows"]) if "rows" in f.attrs else None
        found = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.ndim == 1:
                found[name] = obj

        f.visititems(visit)
        if rows is None:
            if "t" not in found:
                raise FileError(f"{path}: no `rows` attribute and no `t` column: not a collected table")
            rows = found["t"].shape[0]
        columns = {}
        for name, ds in found.items():
            if ds.shape[0] != rows:
                continue
            if h5py.check_string_dtype(ds.dtype) is not None:
                # Variable-length strings read as bytes unless asked for str.
                columns[name] = np.array(ds.asstr()[...], dtype=object)
            elif ds.dtype.kind == "S":
                columns[name] = np.array([b.decode() for b in ds[...]], dtype=object)
            elif ds.dtype.kind in "iuf":
                columns[name] = ds[...]
    return columns, rows
