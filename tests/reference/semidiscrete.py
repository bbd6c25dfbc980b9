#!/usr/bin/python3
"""Independent reference values for tests/test_semidiscrete.cpp.

Reads cases from a text file (one per line: n, M, q, then n triples x y w of atoms, then
M*M cell masses of a piecewise-constant density, x-major) and writes, per case, the
exact earth mover's distance (POT's ot.emd2, torus metric) between the normalised atoms
and a quadrature of the normalised density: each cell split into q x q sub-cells, each a
point mass at its centre. That quadrature is within 0.3826 h / q (h = 1/M) of the
density in W1, which the test allows for.
"""
import sys

import numpy as np
import ot


def torus_cost(px, py, qx, qy):
    dx = np.abs(px[:, None] - qx[None, :])
    dy = np.abs(py[:, None] - qy[None, :])
    dx = np.minimum(dx, 1 - dx)
    dy = np.minimum(dy, 1 - dy)
    return np.sqrt(dx * dx + dy * dy)


def case(line):
    v = [float(t) for t in line.split()]
    n, M, q = int(v[0]), int(v[1]), int(v[2])
    atoms = np.array(v[3:3 + 3 * n]).reshape(n, 3)
    cells = np.array(v[3 + 3 * n:3 + 3 * n + M * M]).reshape(M, M)
    Q = M * q
    centres = (np.arange(Q) + 0.5) / Q
    gx, gy = np.meshgrid(centres, centres, indexing="ij")
    mass = np.repeat(np.repeat(cells, q, axis=0), q, axis=1) / (q * q)
    a = atoms[:, 2] / atoms[:, 2].sum()
    b = mass.ravel() / mass.sum()
    C = torus_cost(atoms[:, 0], atoms[:, 1], gx.ravel(), gy.ravel())
    return ot.emd2(a, b, C, numItermax=10_000_000)


def main():
    with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
        for line in f:
            if line.strip():
                out.write(f"{case(line):.17g}\n")


if __name__ == "__main__":
    main()
