#!/usr/bin/python3
"""Independent reference values for tests/test_semidiscrete.cpp: w1 and bl between two
point sets on the unit torus, computed without dislo's code.

Reads cases from a text file (one per line: K, then K triples x y m with m > 0 for the
first measure and m < 0 for the second) and writes, per case, "w1 bl":
  - w1: POT's exact earth mover's distance (ot.emd2) between the normalised measures,
    on the exact torus distances between all points;
  - bl: the dual bounded-Lipschitz norm as one linear program (scipy linprog, HiGHS):
    maximise sum phi_i m_i over (phi, a) with |phi_i| <= a and phi_i - phi_j <= (1 - a) d_ij
    for every pair of points, 0 <= a <= 1 (a function on the points with these bounds
    extends to the torus with the same sup and Lipschitz constant).
"""
import sys

import numpy as np
import ot
from scipy.optimize import linprog
from scipy.sparse import coo_matrix


def torus_distances(x, y):
    dx = np.abs(x[:, None] - x[None, :]); dx = np.minimum(dx, 1 - dx)
    dy = np.abs(y[:, None] - y[None, :]); dy = np.minimum(dy, 1 - dy)
    return np.hypot(dx, dy)


def reference(x, y, m):
    K = len(m)
    D = torus_distances(x, y)
    pos, neg = m > 0, m < 0
    a, b = m[pos], -m[neg]
    w1 = ot.emd2(a / a.sum(), b / b.sum(), D[np.ix_(pos, neg)])
    # variables phi_0..phi_{K-1}, s (the sup bound); minimise -(m . phi)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    for i in range(K):
        for sign in (1.0, -1.0):  # sign phi_i - s <= 0
            rows += [r, r]; cols += [i, K]; vals += [sign, -1.0]; rhs.append(0.0); r += 1
    for i in range(K):
        for j in range(K):
            if i != j:  # phi_i - phi_j + d_ij s <= d_ij
                rows += [r, r, r]; cols += [i, j, K]; vals += [1.0, -1.0, D[i, j]]
                rhs.append(D[i, j]); r += 1
    A = coo_matrix((vals, (rows, cols)), shape=(r, K + 1)).tocsr()
    c = np.concatenate([-m, [0.0]])
    res = linprog(c, A_ub=A, b_ub=np.array(rhs), bounds=[(None, None)] * K + [(0, 1)],
                  method="highs")
    assert res.success, res.message
    return w1, -res.fun


def main():
    with open(sys.argv[1]) as fin, open(sys.argv[2], "w") as fout:
        for line in fin:
            v = line.split()
            if not v:
                continue
            K = int(v[0])
            t = np.array([float(s) for s in v[1:1 + 3 * K]]).reshape(K, 3)
            w1, bl = reference(t[:, 0], t[:, 1], t[:, 2])
            fout.write(f"{w1:.17g} {bl:.17g}\n")


if __name__ == "__main__":
    main()
