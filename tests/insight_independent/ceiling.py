#!/usr/bin/env python3
"""What simulate.py's journals hold before any search: the true window named in advance.

For every case, the same journals (same seeds) as simulate.py, fitted offline with a
quasi-Poisson regression of each logged day's doses on that day's mean reported pain, its
square, time and the true window (the box's days; days 1-3 for fading relief), its z tested
at the verdict's own one-sided levels (z <= -1.75 "lower", z >= 2.33 "higher"). No search can
beat being told the window. Needs numpy (not used by CI):

    pip install numpy && python3 tests/insight_independent/ceiling.py --runs 200
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate  # noqa: E402


def logged_days(case, seed, first, last):
    pain, intakes, sessions = simulate.journal(case, seed)
    days = case.weeks * 7
    reports = {}
    for day, _, value in pain:
        reports.setdefault(day, []).append(value)
    doses = np.zeros(days)
    for day, *_ in intakes:
        doses[day] += 1
    window = np.zeros(days, bool)
    for session in sessions:
        window[session + first:min(days, session + last + 1)] = True
    rows = sorted(reports)
    pain_mean = np.array([np.mean(reports[d]) for d in rows])
    design = np.column_stack([np.ones(len(rows)), pain_mean, pain_mean ** 2 / 10,
                              np.array(rows) / days, window[rows]])
    return doses[rows], design


def window_z(y, x):
    """The last coefficient's z in a quasi-Poisson fit (IRLS, dispersion from Pearson)."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(50):
        mu = np.exp(x @ beta)
        working = x @ beta + (y - mu) / mu
        step = np.linalg.solve((x.T * mu) @ x, (x.T * mu) @ working)
        done = np.max(np.abs(step - beta)) < 1e-9
        beta = step
        if done:
            break
    mu = np.exp(x @ beta)
    dispersion = max(1.0, np.sum((y - mu) ** 2 / mu) / (len(y) - x.shape[1]))
    covariance = np.linalg.inv((x.T * mu) @ x) * dispersion
    return beta[-1] / np.sqrt(covariance[-1, -1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--only", default="", help="only cases whose name holds this text")
    args = parser.parse_args()
    print("| case | window named | said lower | said higher |")
    print("|---|---|---|---|")
    for number, case in enumerate(simulate.cases()):
        if args.only not in case.name:
            continue
        effect = case.effect
        first, last = (effect[1], effect[2]) if effect and effect[0] != "decay" else (1, 3) \
            if effect else (1, 4)
        z = np.array([window_z(*logged_days(case, seed, first, last))
                      for seed in simulate.seeds(number, args.runs)])
        print(f"| {case.name} | days {first}-{last} | {np.mean(z <= -1.75):.0%} "
              f"| {np.mean(z >= 2.33):.0%} |", flush=True)


if __name__ == "__main__":
    main()
