#!/usr/bin/python3
"""Independent reference values for tests/test_metrics.cpp.

Reads cases from a text file (one per line: H, then H*H masses of a, then of b) and
writes, per case, "w1 bl" computed without dislo's code:
  - ground metric: shortest paths on the same 32-neighbour torus stencil graph
    (scipy.sparse.csgraph), the metric dislo's network simplex uses;
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

R = 3


def stencil():
    return [(p, q) for p in range(-R, R + 1) for q in range(-R, R + 1)
            if (p or q) and math.gcd(abs(p), abs(q)) == 1]


def arcs(H):
    h = 1.0 / H
    out = []
    for i in range(H):
        for j in range(H):
            for p, q in stencil():
                out.append((i * H + j, ((i + p) % H) * H + (j + q) % H, h * math.hypot(p, q)))
    return out


def reference(H, a, b):
    n = H * H
    A = arcs(H)
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
            H = int(v[0])
            a = np.array([float(x) for x in v[1:1 + H * H]])
            b = np.array([float(x) for x in v[1 + H * H:1 + 2 * H * H]])
            w1, bl = reference(H, a, b)
            fout.write(f"{w1:.17g} {bl:.17g}\n")


if __name__ == "__main__":
    main()
