#!/usr/bin/env python3
"""An independent check of the massage-effect insight, through the HTTP API.

`src/insight/family.rs` is the simulator the method was developed against; whatever it does
not generate, the method was never tested on. This one was written apart from it, in another
language, and makes other choices on purpose wherever a real journal could differ:

- pain is a latent level (a personal baseline, flares that come and go over days, day-to-day
  ups and downs with heavy tails) that the person *reports* 1-3 times a day with its own
  noise, so the pain the fit sees is a noisy measure of the pain that drives the pills;
- pills follow that latent pain through an S-shaped curve (a floor, a ceiling), not the
  log-linear rate the family uses, and are over-dispersed (gamma-Poisson, shape 1.5-4);
- half the people also take tramadol (1 or 2 tablets a time: MME 10 or 20), so the opioid
  verdict is checked on doses of uneven size;
- massages are booked without any weekly grid: on random days (two in one week happens),
  after a flare begins, once a flare has passed, at irregular gaps, in twice-weekly courses
  with weeks off between them, or every Wednesday (beside more pills on workdays);
- relief is a box of days, or a decay that fades over a week, with its size varying between
  people; some people log fewer of their good days;
- one person's massages ease the pain itself and the pills follow the pain: relief that the
  verdict, which compares pills at the same pain, is not built to count, and that the
  answer should point at instead of reading as "no help".

Each journal is a new account: register, log in, one WatermelonDB push (medications first,
then the rest), then GET /v1/insights/massage-effect. Fixed seeds: the same run gives the same
table. Only the standard library is used.

    python3 tests/insight_independent/simulate.py --base http://127.0.0.1:8080 --runs 100
    ... --check      # the 26-week cases with the CI's bars (exit 1 below them)
"""

import argparse
import concurrent.futures
import datetime as dt
import json
import math
import random
import sys
import urllib.error
import urllib.request

PASSWORD = "independent check passphrase"
# A Monday well in the past, so that every instant is accepted.
START = dt.date(2024, 1, 1)
# What "no clear difference" adds when the pain was lower on the days after a massage.
EASED_PAIN_NOTE = "the painkillers you need less because of it do not count here"


# ---------------------------------------------------------------------------------------------
# The people


class Case:
    def __init__(self, name, weeks, booking, effect=None, workday_pills=False,
                 skips_good_days=False, pain_relief=None):
        self.name = name
        self.weeks = weeks
        self.booking = booking
        # None, or ("box", first_day, last_day, size) / ("decay", size, half_life_days) /
        # ("varies", first_day, last_day, smallest, largest): on the pills at the same pain.
        self.effect = effect
        self.workday_pills = workday_pills
        self.skips_good_days = skips_good_days
        # None, or (first_day, last_day, points): massage eases the pain itself, and the pills
        # follow the pain. Neither a null case nor an effect for the bars: the verdict compares
        # pills at the same pain, so this is relief it is not built to report (see docs/insight.md).
        self.pain_relief = pain_relief
        self.null = effect is None and pain_relief is None


def cases():
    out = []
    for weeks in (26, 52):
        w = f"{weeks} w"
        out += [
            Case(f"{w}, no effect, random days", weeks, "random_days"),
            Case(f"{w}, no effect, after flares", weeks, "after_flares"),
            Case(f"{w}, no effect, irregular gaps", weeks, "irregular"),
            Case(f"{w}, no effect, twice-weekly courses", weeks, "courses"),
            Case(f"{w}, no effect, Wednesdays, more pills on workdays", weeks, "wednesdays",
                 workday_pills=True),
            Case(f"{w}, no effect, after flares, good days often not logged", weeks,
                 "after_flares", skips_good_days=True),
            Case(f"{w}, -33% days 1-4, random days", weeks, "random_days",
                 effect=("box", 1, 4, -0.33)),
            Case(f"{w}, -33% days 1-4, after flares", weeks, "after_flares",
                 effect=("box", 1, 4, -0.33)),
            Case(f"{w}, -33% days 0-2, irregular gaps", weeks, "irregular",
                 effect=("box", 0, 2, -0.33)),
            Case(f"{w}, -33% days 1-3, twice-weekly courses", weeks, "courses",
                 effect=("box", 1, 3, -0.33)),
            Case(f"{w}, -33% days 1-5, Wednesdays", weeks, "wednesdays",
                 effect=("box", 1, 5, -0.33)),
            Case(f"{w}, fading relief (-50% on day 1, half-life 2 days), random days", weeks,
                 "random_days", effect=("decay", -0.50, 2.0)),
            Case(f"{w}, -20% to -50% (varies by person) days 1-4, random days", weeks,
                 "random_days", effect=("varies", 1, 4, -0.20, -0.50)),
        ]
    # Appended, so that the cases above keep their numbers and so their seeds.
    for weeks in (26, 52):
        out.append(Case(f"{weeks} w, pain 1.5 points lower days 1-4 (pills follow), random days",
                        weeks, "random_days", pain_relief=(1, 4, 1.5)))
    # Booked once a flare has passed (as some are told to: not in the acute phase), so the days
    # after a massage hold fewer flares than other days: lower pain, and fewer pills, that
    # massage did not cause. Compared at the same pain the pills must not pass for relief.
    for weeks in (26, 52):
        out.append(Case(f"{weeks} w, no effect, after a flare has passed", weeks,
                        "after_flare_ends"))
    return out


def relief(case, rng_person):
    """The multiplier of the pill rate on day k after a session, for one person."""
    e = case.effect
    if e is None:
        return lambda k: 1.0
    if e[0] == "box":
        _, first, last, size = e
        return lambda k: 1.0 + size if first <= k <= last else 1.0
    if e[0] == "varies":
        _, first, last, lo, hi = e
        size = rng_person.uniform(hi, lo)
        return lambda k: 1.0 + size if first <= k <= last else 1.0
    _, size, half_life = e
    return lambda k: 1.0 + size * 0.5 ** ((k - 1) / half_life) if 1 <= k <= 10 else 1.0


def journal(case, seed):
    """One person's days: pain reports, pill intakes, massage days (day numbers)."""
    rng = random.Random(seed)
    days = case.weeks * 7
    baseline = rng.uniform(3.5, 6.0)
    # Latent pain: baseline + flares (start about every 4 weeks, last about 6 days) + an AR(1)
    # with Student-t innovations (an odd very good or very bad day).
    latent, flare_start, flare_end = [], [], []
    ar, flare_left, flare_size = 0.0, 0, 0.0
    for d in range(days):
        started = False
        if flare_left == 0 and rng.random() < 1 / 28:
            flare_left = 1 + int(rng.expovariate(1 / 5))
            flare_size = rng.uniform(1.5, 3.0)
            started = True
        t = rng.gauss(0, 1) / math.sqrt(rng.gammavariate(2.0, 0.5))  # Student t, 4 df
        ar = 0.6 * ar + 0.7 * t
        level = baseline + ar + (flare_size if flare_left > 0 else 0.0)
        ended = False
        if flare_left > 0:
            flare_left -= 1
            ended = flare_left == 0
        latent.append(level)
        flare_start.append(started)
        flare_end.append(ended)

    sessions = book(case, rng, days, flare_start, flare_end)
    if case.pain_relief:
        first, last, points = case.pain_relief
        eased = {s + k for s in sessions for k in range(first, last + 1)}
        latent = [level - points if d in eased else level for d, level in enumerate(latent)]
    response = relief(case, rng)
    multiplier = [1.0] * days
    for s in sessions:
        for k in range(0, 12):
            if s + k < days:
                multiplier[s + k] *= response(k)

    ceiling = rng.uniform(3.0, 5.0)
    midpoint = baseline + rng.uniform(0.5, 2.0)
    shape = rng.uniform(1.5, 4.0)
    opioid_share = 0.3 if rng.random() < 0.5 else 0.0
    pain_reports, intakes = [], []
    for d in range(days):
        if case.skips_good_days:
            logged = rng.random() < min(1.0, 0.35 + 0.08 * latent[d])
        else:
            logged = rng.random() < 0.93
        rate = ceiling * (0.15 + 1 / (1 + math.exp(-(latent[d] - midpoint) / 1.2)))
        if case.workday_pills:
            rate *= 1.2 if d % 7 < 5 else 0.8
        rate *= multiplier[d]
        count = poisson(rng, rate * rng.gammavariate(shape, 1 / shape))
        if not logged:
            continue
        for r in range(rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0]):
            hour = (8, 14, 20)[r]
            reported = latent[d] + rng.gauss(0, 0.7) + (0.4 if r == 0 else 0.0)
            pain_reports.append((d, hour, max(0, min(10, round(reported)))))
        for _ in range(count):
            opioid = rng.random() < opioid_share
            hour = 7 + rng.random() * 14
            tablets = 2 if opioid and rng.random() < 0.3 else 1
            intakes.append((d, hour, opioid, tablets))
    return pain_reports, intakes, sessions


def poisson(rng, lam):
    # Knuth's method: fine for the small rates here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def book(case, rng, days, flare_start, flare_end):
    sessions = []
    if case.booking == "random_days":
        sessions = [d for d in range(days) if rng.random() < 0.5 / 7]
    elif case.booking == "after_flare_ends":
        for d in range(days):
            if flare_end[d] and rng.random() < 0.8:
                sessions.append(d + rng.choice((1, 2)))
            elif rng.random() < 0.25 / 7:
                sessions.append(d)
    elif case.booking == "after_flares":
        for d in range(days):
            if flare_start[d] and rng.random() < 0.8:
                sessions.append(d + rng.choice((1, 2, 3)))
            elif rng.random() < 0.25 / 7:
                sessions.append(d)
    elif case.booking == "irregular":
        d = int(rng.uniform(0, 10))
        while d < days:
            sessions.append(d)
            d += 3 + int(rng.gammavariate(2.0, 5.0))
    elif case.booking == "courses":
        # Three weeks of Monday + Thursday sessions, then five weeks off; the first course
        # starts somewhere in the first eight weeks.
        offset = int(rng.uniform(0, 56))
        for d in range(days):
            phase = (d - offset) % 56
            if d >= offset and phase < 21 and d % 7 in (0, 3) and rng.random() < 0.9:
                sessions.append(d)
    elif case.booking == "wednesdays":
        sessions = [d for d in range(days) if d % 7 == 2 and rng.random() < 0.8]
    return sorted({s for s in sessions if s < days})


# ---------------------------------------------------------------------------------------------
# The API


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def epoch_ms(day, hour):
    # `hour` is read as UTC+2: Berlin's local hour in summer, an hour earlier in winter; the
    # hours used (7-21) stay inside the same local day either way.
    instant = dt.datetime.combine(START + dt.timedelta(days=day), dt.time()) + dt.timedelta(
        hours=hour - 2)
    return int(instant.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def ask(api, case, seed):
    pain_reports, intakes, sessions = journal(case, seed)
    email = f"independent-{seed}@example.com"
    status, body = api.call("POST", "/v1/auth/register",
                            {"email": email, "password": PASSWORD, "timezone": "Europe/Berlin"})
    if status != 201:
        raise RuntimeError(f"register {email}: {status} {body}")
    status, body = api.call("POST", "/v1/auth/login",
                            {"email": email, "password": PASSWORD, "device_name": "sim"})
    if status != 200:
        raise RuntimeError(f"login {email}: {status} {body}")
    token = body["access_token"]

    def push(changes):
        status, body = api.call("POST", "/v1/sync?last_pulled_at=0", {"changes": changes}, token)
        if status != 200 or body.get("experimentalRejectedIds"):
            raise RuntimeError(f"push for {email}: {status} {str(body)[:300]}")

    def table(rows):
        return {"created": rows, "updated": [], "deleted": []}

    push({"medications": table([
        {"id": "ibu", "name": "Ibuprofen 400", "drug_class": "nsaid", "strength": 400,
         "strength_unit": "mg", "form": "tablet", "active": True},
        {"id": "tram", "name": "Tramadol 50", "drug_class": "opioid", "opioid": "tramadol",
         "strength": 50, "strength_unit": "mg", "form": "tablet", "active": True},
    ])})
    push({
        "pain_entries": table([
            {"id": f"p{d}-{h}", "recorded_at": epoch_ms(d, h), "intensity": v,
             "regions": "[\"lower_back\"]", "qualities": "[]", "triggers": "[]"}
            for d, h, v in pain_reports]),
        "medication_intakes": table([
            {"id": f"i{n}", "medication_id": "tram" if opioid else "ibu",
             "taken_at": epoch_ms(d, h), "quantity": quantity}
            for n, (d, h, opioid, quantity) in enumerate(intakes)]),
        "massage_sessions": table([
            {"id": f"m{d}", "started_at": epoch_ms(d, 17), "duration_min": 50,
             "kind": "deep_tissue", "regions": "[\"lower_back\"]"}
            for d in sessions]),
    })
    status, body = api.call("GET", "/v1/insights/massage-effect", token=token)
    if status != 200:
        raise RuntimeError(f"insight for {email}: {status} {str(body)[:300]}")
    opioid_user = any(opioid for _, _, opioid, _ in intakes)
    eased = EASED_PAIN_NOTE in body["summary"]
    doses = body["painkiller_doses"]["days_after_massage"]
    return (body["verdict"], body.get("opioid_verdict") if opioid_user else None, eased,
            pain_after_massage(body["pain"]["days_after_massage"]),
            covers(case, doses),
            holds_zero(body["pain"]["days_after_massage"]),
            doses.get("chance_to_find_a_third_fewer") if doses else None)


def covers(case, scan):
    """Whether the interval of the change shown holds the true change at the same pain: 0 with
    no effect, the size of a box of relief; None where the truth is not one number (fading or
    person-varying relief, relief through the pain) or there is no answer."""
    if not scan or case.pain_relief is not None:
        return None
    if case.effect is None:
        truth = 0.0
    elif case.effect[0] == "box":
        truth = 100 * case.effect[3]
    else:
        return None
    return scan["ci95_low"] <= truth <= scan["ci95_high"]


def holds_zero(scan):
    """Whether the interval of the change shown holds 0 (None where there is no answer)."""
    if not scan:
        return None
    return scan["ci95_low"] <= 0.0 <= scan["ci95_high"]


def pain_after_massage(scan):
    """What the search on pain itself says about the days after a massage: "lower", "higher"
    (each at its own level) or None."""
    if not scan:
        return None
    if scan["p_lower"] <= scan["alpha_lower"]:
        return "lower"
    if scan["p_higher"] <= scan["alpha_higher"]:
        return "higher"
    return None


# ---------------------------------------------------------------------------------------------
# The table


def seeds(case_number, runs):
    """The journals' seeds: fixed, so the same run gives the same table."""
    return [1_000_003 * (case_number + 1) + run for run in range(runs)]


def run_case(api, case, runs, case_number, workers):
    tally = {"lower_with_massage": 0, "higher_with_massage": 0, "no_clear_difference": 0,
             "not_enough_data": 0, "eased": 0, "pain lower": 0, "pain higher": 0,
             "intervals": 0, "covered": 0, "pain intervals": 0, "pain held 0": 0,
             "told": 0.0, "told journals": 0}
    opioid = {"lower_with_massage": 0, "higher_with_massage": 0, "answered": 0}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for verdict, opioid_verdict, eased, pain, covered, pain_holds_zero, told in pool.map(
                lambda seed: ask(api, case, seed), seeds(case_number, runs)):
            tally[verdict] += 1
            if told is not None:
                tally["told"] += told
                tally["told journals"] += 1
            if covered is not None:
                tally["intervals"] += 1
                tally["covered"] += covered
            if pain_holds_zero is not None:
                tally["pain intervals"] += 1
                tally["pain held 0"] += pain_holds_zero
            tally["eased"] += eased
            if pain:
                tally[f"pain {pain}"] += 1
            if opioid_verdict is not None and opioid_verdict != "not_enough_data":
                opioid["answered"] += 1
                if opioid_verdict in opioid:
                    opioid[opioid_verdict] += 1
    return tally, opioid


def percent(n, d):
    return f"{100 * n / d:.0f}%" if d else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--runs", type=int, default=100, help="journals per case")
    parser.add_argument("--only", default="", help="only cases whose name holds this text")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--check", action="store_true",
                        help="the 26-week cases, with the CI's bars")
    args = parser.parse_args()
    api = Api(args.base)

    chosen = [(n, c) for n, c in enumerate(cases()) if args.only in c.name]
    if args.check:
        chosen = [(n, c) for n, c in chosen if c.weeks == 26]
    print("| case | journals | said lower | said higher | not enough data "
          "| opioid MME: lower / higher (of answered) | note on eased pain "
          "| pain after a massage: lower / higher | told: a 3-day drop of a third shows |")
    print("|---|---|---|---|---|---|---|---|---|")
    pooled = {"null": [0, 0], "opioid null": [0, 0], "effect": [0, 0], "effect higher": [0, 0],
              "pain null": [0, 0], "covered null": [0, 0], "covered drop": [0, 0],
              "pain covered": [0, 0]}
    failures = []
    # Per null case, "lower" or "higher" (to a tenth of a point: the table's whole percents
    # hide whether a case is within issue 9's 5%).
    null_rates = []
    for number, case in chosen:
        tally, opioid = run_case(api, case, args.runs, number, args.workers)
        runs = args.runs
        print(f"| {case.name} | {runs} | {percent(tally['lower_with_massage'], runs)} "
              f"| {percent(tally['higher_with_massage'], runs)} "
              f"| {percent(tally['not_enough_data'], runs)} "
              f"| {percent(opioid['lower_with_massage'], opioid['answered'])} / "
              f"{percent(opioid['higher_with_massage'], opioid['answered'])} "
              f"(of {opioid['answered']}) | {percent(tally['eased'], runs)} "
              f"| {percent(tally['pain lower'], runs)} / {percent(tally['pain higher'], runs)} "
              f"| {percent(tally['told'] / 100, tally['told journals'])} |",
              flush=True)
        lower, higher = tally["lower_with_massage"], tally["higher_with_massage"]
        if case.pain_relief is None and case.booking not in ("after_flares", "after_flare_ends"):
            # Booked apart from the pain, and relief (if any) on the pills alone: pain after a
            # massage and on other days is the same by construction, so "lower" or "higher"
            # there is a false difference (after flares the days after a massage really hold
            # more of the flares, once a flare has passed fewer).
            add(pooled["pain null"], tally["pain lower"] + tally["pain higher"], runs)
            add(pooled["pain covered"], tally["pain held 0"], tally["pain intervals"])
        add(pooled["covered null" if case.null else "covered drop"], tally["covered"],
            tally["intervals"])
        if case.null:
            add(pooled["null"], lower + higher, runs)
            null_rates.append((100 * (lower + higher) / runs, case.name))
            add(pooled["opioid null"],
                opioid["lower_with_massage"] + opioid["higher_with_massage"], opioid["answered"])
            if args.check and lower + higher > 0.12 * runs:
                failures.append(f"{case.name}: false alarms {lower + higher}/{runs} > 12%")
        elif case.effect:
            add(pooled["effect"], lower, runs)
            add(pooled["effect higher"], higher, runs)
        else:
            # Relief through the pain: the answer should point at the pain, not read as "no
            # help". Since pain itself is searched like the pills (2026-12-06), the note is
            # given in 68% of such 26-week journals and 92% at 52 weeks (200 each), and 28 of
            # the 40 here hear it or a drop; the weeks comparison it rested on before gave
            # the note in 42% and 76%, and 21 of these 40, which this bar fails.
            heard = tally["eased"] + lower
            if args.check and heard < 0.6 * runs:
                failures.append(f"{case.name}: told of eased pain or a drop {heard}/{runs} < 60%")
    print()
    for what, label in (("null", "false alarms over all null journals"),
                        ("opioid null", "opioid false alarms over all null journals"),
                        ("effect", "drops found (said lower) over all journals with a drop"),
                        ("effect higher", "said higher over all journals with a drop"),
                        ("pain null", "pain lower or higher after a massage, over the "
                                      "journals booked apart from a pain that massage does not "
                                      "touch"),
                        ("covered null", "the doses' interval held 0, with no effect"),
                        ("covered drop", "the doses' interval held the drop of a box of relief"),
                        ("pain covered", "the pain's interval held 0, over the same journals "
                                         "booked apart from a pain that massage does not touch")):
        n, d = pooled[what]
        if d:
            print(f"{label}: {n}/{d} ({100 * n / d:.1f}%)")
    if null_rates:
        (low, lowest), (high, highest) = min(null_rates), max(null_rates)
        print(f"false alarms per null case: {low:.1f}% ({lowest}) to {high:.1f}% ({highest})")
    if args.check:
        # False alarms: 5% plus sampling slack, as the family's check. Power: a guard against
        # getting worse (26-week drops were found 31-50% of the time on 2026-12-06, against
        # 56-76% for a test told the window), not the bar the product aims for.
        for what, most, least in (("null", 0.06, None), ("opioid null", 0.06, None),
                                  ("effect", None, 0.30), ("effect higher", 0.01, None),
                                  # The search on pain, 2.5% each way with both tails
                                  # fitted together: 3.9% of 2,000 journals at 26 weeks,
                                  # 2.9% at 52, 3.8% of the 400 here (each tail fitted
                                  # apart at 2%: 4.7%, 2.9%, 5.5%).
                                  ("pain null", 0.06, None)):
            n, d = pooled[what]
            if d and most is not None and n > most * d:
                failures.append(f"{what}: {n}/{d} > {most:.0%}")
            if d and least is not None and n < least * d:
                failures.append(f"{what}: {n}/{d} < {least:.0%}")
    if failures:
        print("\nbelow the bars:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


def add(pool, n, d):
    pool[0] += n
    pool[1] += d


if __name__ == "__main__":
    main()
