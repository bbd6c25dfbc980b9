#!/usr/bin/python3
"""The peer that dislo's MF integrator is measured against (issue 16, docs/performance.md).

A plain numpy solver of MF (eq. 12) with the gaussian kernel, as a user would write it:
rfft2, the 2/3 de-aliasing rule, ETDRK4 of Cox and Matthews with Kassam and Trefethen's
contour-integral phi functions, fixed step. It starts from the t = 0 slice of a dislo
output (so both solve the same discrete problem) and prints the max error at the last
output time against a reference output, and the time of the solve alone (after imports,
file reading and the phi functions' set-up, which a fixed step computes once).

usage: mf_etdrk4_peer.py START.h5 REFERENCE.h5 --dt 0.05 [--beta 4 --delta 0.0625]
"""
import argparse
import time

import h5py
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("start")
    p.add_argument("reference")
    p.add_argument("--dt", type=float, required=True)
    p.add_argument("--beta", type=float, default=4.0)
    p.add_argument("--delta", type=float, default=0.0625)
    a = p.parse_args()

    with h5py.File(a.start, "r") as f:
        plus0 = f["/mf/rho_plus"][0]
        minus0 = f["/mf/rho_minus"][0]
        times = f["/times"][...]
    with h5py.File(a.reference, "r") as f:
        ref_plus = f["/mf/rho_plus"][-1]
        ref_minus = f["/mf/rho_minus"][-1]
    T = float(times[-1])
    M = plus0.shape[0]
    kx = np.fft.fftfreq(M, 1.0 / M)[:, None]
    ky = np.fft.rfftfreq(M, 1.0 / M)[None, :]
    k2 = kx**2 + ky**2
    keep = (np.abs(kx) <= M // 3) & (ky <= M // 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        vhat = np.where(k2 > 0, np.exp(-2 * np.pi**2 * a.delta**2 * k2) / (4 * np.pi**2 * k2), 0.0)
    vhat = vhat * keep
    L = -4 * np.pi**2 * k2 / a.beta

    steps = int(round(T / a.dt))
    h = T / steps
    # Kassam and Trefethen (2005): phi functions by a contour integral around each h L.
    r = np.exp(1j * np.pi * (np.arange(1, 33) - 0.5) / 32)
    LR = h * L[..., None] + r
    E, E2 = np.exp(h * L), np.exp(h * L / 2)
    Q = h * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=-1))
    f1 = h * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=-1))
    f2 = h * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=-1))
    f3 = h * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=-1))
    ikx, iky = 2j * np.pi * kx, 2j * np.pi * ky

    def nonlinear(up, um):
        grad_x = np.fft.irfft2(ikx * vhat * (up - um), s=(M, M))
        grad_y = np.fft.irfft2(iky * vhat * (up - um), s=(M, M))
        out = []
        for sign, u in ((1.0, up), (-1.0, um)):
            rho = np.fft.irfft2(u, s=(M, M))
            div = ikx * np.fft.rfft2(rho * grad_x) + iky * np.fft.rfft2(rho * grad_y)
            out.append(sign * div * keep)
        return out

    t0 = time.perf_counter()
    u = [np.fft.rfft2(plus0) * keep, np.fft.rfft2(minus0) * keep]
    for _ in range(steps):
        Nu = nonlinear(*u)
        a_ = [E2 * u[s] + Q * Nu[s] for s in range(2)]
        Na = nonlinear(*a_)
        b_ = [E2 * u[s] + Q * Na[s] for s in range(2)]
        Nb = nonlinear(*b_)
        c_ = [E2 * a_[s] + Q * (2 * Nb[s] - Nu[s]) for s in range(2)]
        Nc = nonlinear(*c_)
        u = [E * u[s] + f1 * Nu[s] + 2 * f2 * (Na[s] + Nb[s]) + f3 * Nc[s] for s in range(2)]
    plus, minus = np.fft.irfft2(u[0], s=(M, M)), np.fft.irfft2(u[1], s=(M, M))
    seconds = time.perf_counter() - t0
    err = max(np.abs(plus - ref_plus).max(), np.abs(minus - ref_minus).max())
    print(f"M {M} dt {h:.4g} steps {steps} max_error {err:.3e} solve_seconds {seconds:.4f}")


if __name__ == "__main__":
    main()
