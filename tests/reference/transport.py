#!/usr/bin/python3
"""Independent reference values for tests/test_metrics.cpp.

Reads cases from a text file (one per line: H, stencil size, then H*H masses of a, then
of b) and writes, per case, "w1 bl" computed without dislo's code:
  - ground metric: shortest paths on the same torus stencil graph (8, 16 or 32
    neighbours, Euclidean lengths times the factor that centres the distortion;
    scipy.sparse.csgraph), the metric dislo's network simplex uses;
  - w1: POT's exact earth mover's distance (ot.emd2) between the normalised measures;
  - bl: the dual bounded-Lipschitz norm as one linear program (scipy linprog, HiGHS):
    maximise sum phi_i f_i over (phi, a) with |phi_i| <= a, phi_i - phi_j <= (1 - a) c_ij
    on every stencil arc, 0 <= a <= 1.
"""
import math
import sys

import numpy as np
import ot
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

def stencil(size):
    R = {8: 1, 16: 2, 32: 3}[size]
    return [(p, q) for p in range(-R, R + 1) for q in range(-R, R + 1)
            if (p or q) and math.gcd(abs(p), abs(q)) == 1]


def length_factor(vectors):
    """2 / (2 + excess), excess = 1/cos(widest angular gap / 2) - 1."""
    angles = sorted(math.atan2(q, p) for p, q in vectors)
    gaps = [b - a for a, b in zip(angles, angles[1:])] + [angles[0] + 2 * math.pi - angles[-1]]
    excess = 1 / math.cos(max(gaps) / 2) - 1
    return 2 / (2 + excess)


def arcs(H, size):
    h = 1.0 / H
    vectors = stencil(size)
    scale = length_factor(vectors)
    out = []
    for i in range(H):
        for j in range(H):
            for p, q in vectors:
                out.append((i * H + j, ((i + p) % H) * H + (j + q) % H,
                            scale * h * math.hypot(p, q)))
    return out


def reference(H, size, a, b):
    n = H * H
    A = arcs(H, size)
    rows, cols, vals = zip(*A)
    graph = csr_matrix((vals, (rows, cols)), shape=(n, n))
    M = shortest_path(graph, directed=True)
    w1 = ot.emd2(a / a.sum(), b / b.sum(), M) if a.sum() > 0 and b.sum() > 0 else 0.0
    f = a - b
    # variables: phi_0..phi_{n-1}, a; minimise -(f.phi)
    c = np.concatenate([-f, [0.0]])
    A_ub, b_ub = [], []
    for i in range(n):
        r = np.zeros(n + 1); r[i] = 1; r[n] = -1; A_ub.append(r); b_ub.append(0)   # phi <= a
        r = np.zeros(n + 1); r[i] = -1; r[n] = -1; A_ub.append(r); b_ub.append(0)  # -phi <= a
    for s, t, cost in A:
        r = np.zeros(n + 1); r[s] = 1; r[t] = -1; r[n] = cost; A_ub.append(r); b_ub.append(cost)
    bounds = [(None, None)] * n + [(0, 1)]
    res = linprog(c, A_ub=np.array(A_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    assert res.success, res.message
    return w1, -res.fun


def main():
    with open(sys.argv[1]) as fin, open(sys.argv[2], "w") as fout:
        for line in fin:
            v = line.split()
            if not v:
                continue
            H, size = int(v[0]), int(v[1])
            a = np.array([float(x) for x in v[2:2 + H * H]])
            b = np.array([float(x) for x in v[2 + H * H:2 + 2 * H * H]])
            w1, bl = reference(H, size, a, b)
            fout.write(f"{w1:.17g} {bl:.17g}\n")


if __name__ == "__main__":
    main()
