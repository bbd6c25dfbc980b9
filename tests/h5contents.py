"""What two dislo outputs must share: every dataset, and every attribute except
provenance (when, where, by which build, on how many ranks) and timings."""
import h5py
import numpy as np

PROVENANCE = ("created", "git_revision", "dislo_version", "mpi_ranks", "wall_seconds")


def contents(path, also_ignore=()):
    """Datasets by name and attributes as '<object>@<key>', as numpy arrays."""
    ignore = PROVENANCE + tuple(also_ignore)
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = obj[...]
        for key, value in obj.attrs.items():
            if key not in ignore and not key.startswith("seconds"):
                out[f"{name}@{key}"] = np.asarray(value)

    with h5py.File(path, "r") as f:
        visit("", f)
        f.visititems(visit)
    return out
