#!/usr/bin/env python3
"""An upper bound on what any test can find in issue 9's family, whatever its method.

Issue 9's third bar asks that a one-third drop lasting 3 days or more, starting on the day of
a massage or up to 2 days later, be found at least 80% of the time at 26 weeks in every such
timing, by a test that is not told the timing and says "lower" to at most 5% of people
without an effect. This script bounds what any such test can reach.

For any test of level alpha and any weights pi over the timings, the worst timing's power is
at most the pi-weighted mean power, and that mean is the power against one alternative, the
mixture of the timings; by the Neyman-Pearson lemma no level-alpha test has more power
against it than the likelihood-ratio test of "no effect" against that mixture. So

    min over timings of power(test)  <=  power of the Neyman-Pearson test against the mixture

for every test, and for every choice of weights. The bound here is more generous still than
any real journal allows, since the Neyman-Pearson test is given what no method has: the exact
dose model, its rate for every day (0.8 * e^(0.2 * pain), the family's, `src/insight/family.rs`)
and the drop's size, and is calibrated on the true distribution of people rather than on the
person's own journal. All alpha is spent on "lower" (the verdict spends 4%).

The journals are the family's "random weeks" people, drawn here apart from the Rust code
with the same recipe: pain an AR(1) (0.6) of unit normal steps around 5, rounded and clamped
to 0-10; a massage in half the weeks on a random weekday; 10% of days not logged; doses
Poisson at 0.8 * e^(0.2 * pain), times 2/3 on the relief days.

The second part drops the one advantage no journal can have, the dose model's constants: the
rate's level, its slope in pain and a trend are fitted (a Poisson regression, the right
model here), each window's score z taken against it, and the same mixture formed from the
z's (each window's z moved by the drop's own noncentrality). It is no longer a bound in the
strict sense (the nuisance is estimated), but it is the same test for the alternative
people ask about, calibrated on the true distribution of people; a method that must
calibrate each journal on itself does worse. Needs numpy (not run by CI):

    pip install numpy && python3 tests/insight_bound/power_bound.py --weeks 26
"""

import argparse

import numpy as np

DROP = 1.0 / 3.0
MISSED = 0.1


def journals(rng, n, weeks):
    """Pain, logged days, session indicator and the no-effect dose rate of n journals."""
    days = weeks * 7
    steps = rng.standard_normal((n, days))
    fast = np.zeros((n, days))
    level = np.zeros(n)
    for d in range(days):
        level = 0.6 * level + steps[:, d]
        fast[:, d] = level
    pain = np.clip(np.round(5.0 + fast), 0, 10)
    booked = rng.random((n, weeks)) < 0.5
    weekday = rng.integers(0, 7, (n, weeks))
    sessions = np.zeros((n, days), bool)
    rows, week = np.nonzero(booked)
    sessions[rows, week * 7 + weekday[rows, week]] = True
    logged = rng.random((n, days)) >= MISSED
    rate = 0.8 * np.exp(0.2 * pain)
    return logged, sessions, rate


def relieved(sessions, onset, length):
    """Days from `onset` days after a session for `length` days, for every journal."""
    n, days = sessions.shape
    counts = np.concatenate([np.zeros((n, 1)), np.cumsum(sessions, axis=1)], axis=1)
    d = np.arange(days)
    hi = np.clip(d - onset + 1, 0, days)
    lo = np.clip(d - onset - length + 1, 0, days)
    return (counts[:, hi] - counts[:, lo]) > 0


def log_ratios(doses, logged, rate, windows):
    """log LR of each window's drop against no effect, per journal (columns: windows)."""
    per_day = np.log(1.0 - DROP) * doses + DROP * rate
    return np.column_stack([(per_day * (logged & w)).sum(axis=1) for w in windows])


def score_zs(doses, logged, rate, windows):
    """Each window's score z and a drop of a third's noncentrality, against a Poisson fit
    of the doses on 1, pain and time (the level, slope and trend estimated per journal)."""
    n, days = doses.shape
    pain = np.log(rate / 0.8) / 0.2 - 5.0
    time = np.broadcast_to(np.arange(days) / days - 0.5, (n, days))
    x = np.stack([np.ones((n, days)), pain, time], axis=-1)
    m = logged.astype(float)
    beta = np.zeros((n, 3))
    beta[:, 0] = np.log((doses * m).sum(axis=1) / m.sum(axis=1))
    for _ in range(8):
        mu = np.exp(np.einsum("ndk,nk->nd", x, beta))
        gradient = np.einsum("nd,ndk->nk", m * (doses - mu), x)
        hessian = np.einsum("nd,ndk,ndj->nkj", m * mu, x, x)
        beta += np.linalg.solve(hessian, gradient[..., None])[..., 0]
    mu = np.exp(np.einsum("ndk,nk->nd", x, beta))
    inverse = np.linalg.inv(np.einsum("nd,ndk,ndj->nkj", m * mu, x, x))
    zs, shifts = [], []
    for w in windows:
        wm = m * w
        score = (wm * (doses - mu)).sum(axis=1)
        cross = np.einsum("nd,ndk->nk", wm * mu, x)
        information = (wm * mu).sum(axis=1) - np.einsum("nk,nkj,nj->n", cross, inverse, cross)
        information = np.maximum(information, 1e-9)
        zs.append(score / np.sqrt(information))
        shifts.append(-np.log(1.0 - DROP) * np.sqrt(information))
    return np.column_stack(zs), np.column_stack(shifts)


def mixture(log_lr, weights):
    top = log_lr.max(axis=1, keepdims=True)
    return top[:, 0] + np.log((np.exp(log_lr - top) * weights).sum(axis=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--null-runs", type=int, default=40000)
    parser.add_argument("--runs", type=int, default=4000, help="journals per timing")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    timings = [(onset, length) for onset in range(3) for length in range(3, 11)]
    weightings = {
        "all 24 timings alike": [1.0] * len(timings),
        "the three 3-day timings": [1.0 if length == 3 else 0.0 for _, length in timings],
        "days 0-2 and days 2-11": [
            1.0 if t in ((0, 3), (2, 10)) else 0.0 for t in timings
        ],
    }

    searched = [(onset, length) for onset in range(3) for length in range(1, 11)]

    def draw(n, effect_window):
        logged, sessions, rate = journals(rng, n, args.weeks)
        windows = [relieved(sessions, o, l) for o, l in timings]
        true_rate = rate if effect_window is None else np.where(
            windows[effect_window], rate * (1.0 - DROP), rate)
        doses = rng.poisson(true_rate)
        scored = score_zs(doses, logged, rate,
                          [relieved(sessions, o, l) for o, l in searched])
        return log_ratios(doses, logged, rate, windows), scored

    null, null_scored = draw(args.null_runs, None)
    effects, effects_scored = {}, {}
    for i in range(len(timings)):
        effects[i], effects_scored[i] = draw(args.runs, i)

    print(f"{args.weeks} weeks, alpha {args.alpha:.0%} all on 'lower', "
          f"{args.null_runs} null journals, {args.runs} a timing")
    print("\nEach timing's own Neyman-Pearson test, told the timing (no test beats it there):")
    for i, (onset, length) in enumerate(timings):
        critical = np.quantile(null[:, i], 1.0 - args.alpha)
        power = (effects[i][:, i] > critical).mean()
        print(f"  days {onset}-{onset + length - 1}: {power:.1%}")

    print("\nThe bound: the Neyman-Pearson test against a mixture of timings; no level-alpha")
    print("test that is not told the timing finds a drop in its worst timing more often:")
    for name, weights in weightings.items():
        w = np.array(weights) / sum(weights)
        critical = np.quantile(mixture(null, w), 1.0 - args.alpha)
        powers = [(mixture(effects[i], w) > critical).mean() for i in range(len(timings))]
        mean = sum(wi * p for wi, p in zip(w, powers))
        worst = min(p for wi, p in zip(w, powers) if wi > 0)
        print(f"  {name}: weighted mean power {mean:.1%} (bound), "
              f"worst of its timings {worst:.1%}")

    print("\nThe dose model's constants fitted, as a journal must (a Poisson fit on pain and"
          "\ntime), the 3-day timings found by:")
    three_day = [i for i, (_, length) in enumerate(timings) if length == 3]
    sets = {
        "the window told": None,
        "the three 3-day windows (the length told)": [(o, 3) for o in range(3)],
        "the 24 windows of 3-10 days": [t for t in searched if t[1] >= 3],
        "all 30 windows of 1-10 days": searched,
    }

    def mixed(scored, members):
        zs, shifts = scored
        cols = [searched.index(t) for t in members]
        terms = -shifts[:, cols] * zs[:, cols] - shifts[:, cols] ** 2 / 2
        return mixture(terms, np.full(len(cols), 1.0 / len(cols)))

    for name, members in sets.items():
        found = []
        for i in three_day:
            if members is None:
                col = searched.index(timings[i])
                critical = np.quantile(-null_scored[0][:, col], 1.0 - args.alpha)
                found.append((-effects_scored[i][0][:, col] > critical).mean())
            else:
                critical = np.quantile(mixed(null_scored, members), 1.0 - args.alpha)
                found.append((mixed(effects_scored[i], members) > critical).mean())
        print(f"  {name}: " + ", ".join(
            f"days {timings[i][0]}-{timings[i][0] + 2} {p:.1%}" for i, p in zip(three_day, found)))


if __name__ == "__main__":
    main()
