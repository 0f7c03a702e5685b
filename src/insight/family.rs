//! A family of synthetic people, to check the insight on shapes it was not written for.
//!
//! Unlike the first simulator (`simulate`: relief exactly the 7 days after a session), a
//! person here can have relief that starts on the day of the massage or up to two days later
//! and lasts 1 to 10 days, of any size (−50% to +20%), with massages booked in random weeks,
//! every week, fortnightly, in courses (four weekly sessions, then a month without),
//! *because* pain was high, or at a standing appointment every Saturday; pain that drifts for
//! weeks; a pill habit that drifts for weeks whatever the pain, or that is lower at the
//! weekend (a weekly rhythm the Saturday appointment lines up with); days not logged at all;
//! or someone who logs only the bad days. Doses follow pain
//! log-linearly (`rate = 0.8·e^(0.2·pain)`: about 2 a day at pain 5, 4 at pain 8), not in the
//! straight line the analysis fits, so the method is not checked on its own assumptions.
//! The opioid verdict is checked on the same people's MME, with opioids taken three ways
//! (`Opioids`): a share of all doses, only as rescue on bad days (zero on most days), or a
//! steady daily dose with rescue beside it (nearly constant).
//!
//! `validation_table` runs the analysis on many such people per case and reports power,
//! false alarms (either direction), the interval's coverage of the true change and the
//! estimate's bias, beside what the window known in advance and issue 9's reference
//! (`reference`) reach on the same journals.

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal, Poisson};

use super::analysis::takes_opioids;
use super::lag_scan::{known_window_z, scan, scan_pain, verdict, ALPHA_HIGHER, ALPHA_LOWER};
use super::reference::extreme_z;
use super::series::{daily, Day, DoseObservation, Journal, PainObservation};
use super::simulate::record_doses;
use super::stats::quantile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Booking {
    RandomWeeks,
    /// A session every week (a course of weekly massages, common for sciatica): twice the
    /// sessions of random weeks, but few days far from a session to compare with.
    Weekly,
    Fortnightly,
    /// Four weekly sessions, then four weeks without, and again.
    Courses,
    /// The day after the week's first day at pain 7+, else now and then.
    OnBadDays,
    /// A standing appointment: every Saturday, a week skipped now and then (one in six).
    Saturdays,
    /// Two standing appointments a week, Tuesday and Friday, each skipped one time in six.
    TuesdaysAndFridays,
}

impl Booking {
    pub fn name(&self) -> &'static str {
        match self {
            Booking::RandomWeeks => "random weeks",
            Booking::Weekly => "weekly",
            Booking::Fortnightly => "fortnightly",
            Booking::Courses => "courses",
            Booking::OnBadDays => "on bad days",
            Booking::Saturdays => "every Saturday",
            Booking::TuesdaysAndFridays => "Tuesdays and Fridays",
        }
    }
}

/// Which opioids the person takes: what the opioid verdict (on MME) sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Opioids {
    /// A third of the doses are an opioid of 7.5 MME (oxycodone 5 mg), the rest NSAIDs.
    ShareOfDoses,
    /// NSAIDs day to day, and an opioid of 7.5 MME only as rescue, mostly on bad days
    /// (`rate = 0.12·e^(0.45·(pain − 5))`: about one day in ten at pain 5, one in three at
    /// 8): few opioid days, spiky MME, most of it when pain is high.
    Rescue,
    /// A long-acting opioid of 20 MME every day (forgotten on 3% of days) and rescue as in
    /// [`Opioids::Rescue`]: the scheduled dose does not follow pain or massage, so relief
    /// can cut only the rescue, a small share of the MME.
    SteadyAndRescue,
}

impl Opioids {
    pub fn name(&self) -> &'static str {
        match self {
            Opioids::ShareOfDoses => "a third of doses opioid",
            Opioids::Rescue => "rescue opioid",
            Opioids::SteadyAndRescue => "steady opioid and rescue",
        }
    }
}

/// The daily outcome a case is judged on: the verdict on all painkiller doses, or the
/// opioid verdict on MME (given only to people with opioids on 14 days or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    Doses,
    OpioidMme,
}

impl Measure {
    pub fn of(&self, day: &Day) -> f64 {
        match self {
            Measure::Doses => day.doses,
            Measure::OpioidMme => day.opioid_mme,
        }
    }
}

/// How the person keeps the journal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Logging {
    /// Every day, but each day is missed entirely with this probability.
    Daily { missed: f64 },
    /// Only days with pain 6 or more are logged.
    BadDaysOnly,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case {
    pub weeks: usize,
    /// Relative change of the dose rate during relief, e.g. −0.33.
    pub effect: f64,
    /// Relief runs from `onset` days after a session (0 = that day) for `length` days.
    pub onset: usize,
    pub length: usize,
    pub booking: Booking,
    /// Pain wanders for weeks on top of its day-to-day ups and downs.
    pub drift: bool,
    /// The person's pill habit wanders for weeks (±25% for stretches), whatever the pain:
    /// doses that stay high or low for weeks for reasons the journal does not hold, so the
    /// days left over after pain is accounted for are autocorrelated.
    pub habit_drift: bool,
    /// Fewer pills at the weekend (×0.7 on Saturday and Sunday), whatever the pain: a
    /// weekly rhythm in doses that a standing weekend appointment lines up with.
    pub weekend_habit: bool,
    /// Doses follow yesterday's pain instead of today's (pain logged in the evening, pills
    /// taken the next day): after a bad day, more pills than today's pain calls for.
    pub yesterdays_pain: bool,
    pub logging: Logging,
    pub opioids: Opioids,
    pub measure: Measure,
}

impl Case {
    pub fn null(weeks: usize, booking: Booking) -> Self {
        Case {
            weeks,
            effect: 0.0,
            onset: 1,
            length: 7,
            booking,
            drift: false,
            habit_drift: false,
            weekend_habit: false,
            yesterdays_pain: false,
            logging: Logging::Daily { missed: 0.1 },
            opioids: Opioids::ShareOfDoses,
            measure: Measure::Doses,
        }
    }

    /// The opioid verdict's case: MME of a person taking `opioids`, with massages in random
    /// weeks.
    pub fn opioid(
        weeks: usize,
        opioids: Opioids,
        effect: f64,
        onset: usize,
        length: usize,
    ) -> Self {
        Case {
            opioids,
            measure: Measure::OpioidMme,
            ..Case::effect(weeks, effect, onset, length)
        }
    }

    pub fn effect(weeks: usize, effect: f64, onset: usize, length: usize) -> Self {
        Case {
            effect,
            onset,
            length,
            ..Case::null(weeks, Booking::RandomWeeks)
        }
    }
}

/// How strongly one day's fast ups and downs of pain carry into the next.
const PAIN_PERSISTENCE: f64 = 0.6;
/// One rescue opioid dose: oxycodone 5 mg.
const RESCUE_MME: f64 = 7.5;
/// The steady long-acting opioid's daily dose, and the share of days it is forgotten.
const STEADY_MME: f64 = 20.0;
const STEADY_MISSED: f64 = 0.03;
/// The dose rate at the weekend against weekdays, for a person with `weekend_habit`.
const WEEKEND_RATE: f64 = 0.7;

/// Rescue opioid doses expected on a day of `pain` (0–10): about one day in ten at pain 5,
/// one in three at pain 8.
fn rescue_rate(pain: f64) -> f64 {
    0.12 * (0.45 * (pain - 5.0)).exp()
}

/// One generated journal of `case`, starting on Monday `start`.
pub fn generate(case: &Case, seed: u64, start: NaiveDate) -> Journal {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 1.0).expect("valid normal");
    let days = case.weeks * 7;
    let (mut fast, mut slow) = (0.0, 0.0);
    let pain: Vec<f64> = (0..days)
        .map(|_| {
            fast = PAIN_PERSISTENCE * fast + rng.sample(noise);
            if case.drift {
                slow = 0.98 * slow + 0.25 * rng.sample(noise);
            }
            (5.0_f64 + fast + slow).round().clamp(0.0, 10.0)
        })
        .collect();
    let mut sessions: Vec<usize> = Vec::new();
    for week in 0..case.weeks {
        let monday = week * 7;
        let day = match case.booking {
            Booking::RandomWeeks => rng.gen_bool(0.5).then(|| monday + rng.gen_range(0..7)),
            Booking::Weekly => Some(monday + rng.gen_range(0..7)),
            Booking::Fortnightly => (week % 2 == 0).then(|| monday + rng.gen_range(0..7)),
            Booking::Courses => (week % 8 < 4).then(|| monday + rng.gen_range(0..7)),
            Booking::OnBadDays => match (monday..monday + 6).find(|&d| pain[d] >= 7.0) {
                Some(bad) => Some(bad + 1),
                None => rng.gen_bool(0.25).then(|| monday + rng.gen_range(0..7)),
            },
            Booking::Saturdays => (!rng.gen_bool(1.0 / 6.0)).then_some(monday + 5),
            Booking::TuesdaysAndFridays => {
                if !rng.gen_bool(1.0 / 6.0) {
                    sessions.push(monday + 1);
                }
                (!rng.gen_bool(1.0 / 6.0)).then_some(monday + 4)
            }
        };
        sessions.extend(day);
    }
    let relieved = |d: usize| {
        sessions
            .iter()
            .any(|&s| d >= s + case.onset && d < s + case.onset + case.length)
    };
    // Its own stream, so the other cases draw exactly what they drew before it existed.
    let mut habit_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4841_4249_5400);
    let mut habit = 0.0;
    // Likewise for the rescue and scheduled opioids.
    let mut opioid_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4f50_494f_4944);
    let mut journal = Journal::default();
    for (d, &level) in pain.iter().enumerate() {
        if case.habit_drift {
            habit = 0.97 * habit + 0.06 * habit_rng.sample(noise);
        }
        let logged = match case.logging {
            Logging::Daily { missed } => !rng.gen_bool(missed),
            Logging::BadDaysOnly => level >= 6.0,
        };
        let driving = if case.yesterdays_pain && d > 0 {
            pain[d - 1]
        } else {
            level
        };
        let mut rate = 0.8 * (0.2 * driving + habit).exp();
        if relieved(d) {
            rate *= 1.0 + case.effect;
        }
        // Journals start on a Monday: days 5 and 6 of each week are the weekend.
        if case.weekend_habit && d % 7 >= 5 {
            rate *= WEEKEND_RATE;
        }
        let doses: f64 = rng.sample(Poisson::new(rate.max(0.01)).expect("valid poisson"));
        let (scheduled, rescue) = match case.opioids {
            Opioids::ShareOfDoses => (false, 0.0),
            Opioids::Rescue | Opioids::SteadyAndRescue => {
                let mut expected = rescue_rate(level);
                if relieved(d) {
                    expected *= 1.0 + case.effect;
                }
                let rescue: f64 =
                    opioid_rng.sample(Poisson::new(expected.max(0.001)).expect("valid poisson"));
                let scheduled =
                    case.opioids == Opioids::SteadyAndRescue && !opioid_rng.gen_bool(STEADY_MISSED);
                (scheduled, rescue)
            }
        };
        if !logged {
            continue;
        }
        let date = start + Duration::days(d as i64);
        journal.pain.push(PainObservation {
            date,
            intensity: level as i32,
            back_pain: None,
            leg_pain: None,
        });
        if case.opioids == Opioids::ShareOfDoses {
            record_doses(&mut journal, &mut rng, date, doses as usize);
            continue;
        }
        let dose = |drug_class: &str, mme: Option<f64>| DoseObservation {
            date,
            drug_class: drug_class.into(),
            mme,
            mme_days: 1,
        };
        journal
            .doses
            .extend((0..doses as usize).map(|_| dose("nsaid", None)));
        journal
            .doses
            .extend((0..rescue as usize).map(|_| dose("opioid", Some(RESCUE_MME))));
        if scheduled {
            journal.doses.push(dose("opioid", Some(STEADY_MME)));
        }
    }
    journal.massages = sessions
        .iter()
        .map(|&d| start + Duration::days(d as i64))
        .collect();
    journal
}

/// What the analysis said over many journals of one case.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub runs: usize,
    pub lower: usize,
    pub higher: usize,
    pub not_enough: usize,
    /// Runs whose interval held the true change (of those with an interval).
    pub covered: usize,
    pub intervals: usize,
    pub error_sum: f64,
    /// Runs in which the true window, had it been known in advance, differs in the effect's
    /// direction at the verdict's own levels (`known_window_verdict`): the ceiling for any
    /// search that has to find the window, as no search can beat being told it.
    pub known_window: usize,
    /// Runs in which issue 9's reference (`reference`: a Poisson fit per window, the most
    /// extreme taken, its critical values from simulated people without an effect) says
    /// lower / higher.
    pub reference_lower: usize,
    pub reference_higher: usize,
    /// Runs in which the search on pain itself (`scan_pain`) says pain was lower / higher
    /// after a massage. Massage never touches the pain here, so with sessions booked apart
    /// from the pain either is a false difference (on bad days, the pain after a session
    /// really is higher than on other days). Counted on doses cases only: the opioid cases'
    /// pain is made the same way.
    pub pain_lower: usize,
    pub pain_higher: usize,
    /// Runs whose pain search gave an interval, and of those the runs whose interval held
    /// 0: the truth for the pain, which massage never touches here.
    pub pain_intervals: usize,
    pub pain_held_zero: usize,
    /// The sum of `chance_to_find_a_third_fewer` over the runs that have it, and their
    /// number: what the case's journals are told a 3-day drop of a third would show.
    pub chance_sum: f64,
    pub chances: usize,
}

/// The reference's critical values for journals of one length: the lowest window's `z` at
/// or below `lower` is "lower" (4% of journals without an effect), the highest at or above
/// `higher` is "higher" (1%), the same split as the search.
#[derive(Debug, Clone, Copy)]
pub struct Critical {
    pub lower: f64,
    pub higher: f64,
}

/// What the verdict would say if the window had been named in advance and its `z` alone
/// were tested at the verdict's own levels: "lower" (`Some(true)`) at a one-sided
/// [`ALPHA_LOWER`] (z ≤ −1.75), "higher" at a one-sided [`ALPHA_HIGHER`] (z ≥ 2.33), by the
/// verdict's own rule (`lag_scan::verdict`) on the one-sided normal p-values. Against
/// the usual two-sided |z| ≥ 1.96 this is the fair ceiling: the search spends the same 4%
/// on "lower".
pub fn known_window_verdict(z: f64) -> Option<bool> {
    let normal = Normal::new(0.0, 1.0).expect("valid normal");
    verdict(normal.cdf(z), normal.sf(z))
}

/// The reference's critical values for journals like `case` (its length, booking pattern,
/// opioids and outcome), from `runs` of them without an effect (a tenth of days missed) on
/// seeds no validated case uses. Per booking pattern, because the extreme of 30 windows
/// depends on it: set on random-weeks journals for every case, the reference said "lower" to
/// 8% of 1,000 weekly null journals at 26 weeks where 4% was meant (5% now), and led the
/// search on weekly 3–7-day drops at 26 weeks by 8–16 points; set on weekly journals, by 2–10.
pub fn reference_critical(case: &Case, runs: usize) -> Critical {
    let start = NaiveDate::from_isoywd_opt(2025, 2, chrono::Weekday::Mon).expect("a Monday");
    let null = Case {
        opioids: case.opioids,
        measure: case.measure,
        ..Case::null(case.weeks, case.booking)
    };
    let (mut lows, mut highs) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let days = daily(&generate(&null, 900_000 + run as u64, start), None, None);
        if let Some((low, high)) = extreme_z(&days, |d| null.measure.of(d)) {
            lows.push(low);
            highs.push(high);
        }
    }
    Critical {
        lower: quantile(&mut lows, ALPHA_LOWER),
        higher: quantile(&mut highs, 1.0 - ALPHA_HIGHER),
    }
}

impl Outcome {
    pub fn share(&self, n: usize) -> f64 {
        n as f64 / self.runs.max(1) as f64
    }

    pub fn coverage(&self) -> Option<f64> {
        (self.intervals > 0).then(|| self.covered as f64 / self.intervals as f64)
    }

    pub fn bias(&self) -> Option<f64> {
        (self.intervals > 0).then(|| self.error_sum / self.intervals as f64)
    }
}

/// Runs the analysis of the case's outcome on `runs` journals of `case` (seeds
/// `first_seed`…).
/// With `reference`, issue 9's reference is run on the same journals too.
pub fn evaluate(case: &Case, runs: usize, first_seed: u64, reference: Option<Critical>) -> Outcome {
    let start = NaiveDate::from_isoywd_opt(2025, 2, chrono::Weekday::Mon).expect("a Monday");
    let mut outcome = Outcome::default();
    for run in 0..runs {
        let journal = generate(case, first_seed + run as u64, start);
        let days = daily(&journal, None, None);
        outcome.runs += 1;
        let measure = |d: &Day| case.measure.of(d);
        // The app gives the opioid verdict only to people who take opioids; so does this.
        if case.measure == Measure::OpioidMme && !takes_opioids(&days) {
            outcome.not_enough += 1;
            continue;
        }
        if let Some(z) = known_window_z(&days, measure, case.onset, case.length) {
            if let Some(lower) = known_window_verdict(z) {
                if case.effect == 0.0 || lower == (case.effect < 0.0) {
                    outcome.known_window += 1;
                }
            }
        }
        if let Some(critical) = reference {
            if let Some((low, high)) = extreme_z(&days, measure) {
                if low <= critical.lower {
                    outcome.reference_lower += 1;
                } else if high >= critical.higher {
                    outcome.reference_higher += 1;
                }
            }
        }
        if case.measure == Measure::Doses {
            if let Some(pain) = scan_pain(&days) {
                match pain.lower() {
                    Some(true) => outcome.pain_lower += 1,
                    Some(false) => outcome.pain_higher += 1,
                    None => {}
                }
                outcome.pain_intervals += 1;
                if pain.ci95_low <= 0.0 && 0.0 <= pain.ci95_high {
                    outcome.pain_held_zero += 1;
                }
            }
        }
        let Some(result) = scan(&days, measure) else {
            outcome.not_enough += 1;
            continue;
        };
        if let Some(chance) = result.chance_to_find_a_third_fewer {
            outcome.chance_sum += chance;
            outcome.chances += 1;
        }
        match result.lower() {
            Some(true) => outcome.lower += 1,
            Some(false) => outcome.higher += 1,
            None => {}
        }
        let truth = 100.0 * true_change(case);
        outcome.intervals += 1;
        outcome.error_sum += result.change_percent - truth;
        if result.ci95_low <= truth && truth <= result.ci95_high {
            outcome.covered += 1;
        }
    }
    outcome
}

/// The true change of the case's outcome over the relief days: the effect itself, except
/// where a steady opioid that relief does not touch makes up most of the MME. Its share
/// comes from the pain of a day, `round(5 + N(0, 1/(1 − persistence²)))` on 0–10 (the fast
/// ups and downs' stationary spread; the opioid cases have no drift).
fn true_change(case: &Case) -> f64 {
    if case.measure != Measure::OpioidMme || case.opioids != Opioids::SteadyAndRescue {
        return case.effect;
    }
    let spread = 1.0 / (1.0 - PAIN_PERSISTENCE * PAIN_PERSISTENCE).sqrt();
    let pain = Normal::new(5.0, spread).expect("valid normal");
    let rescue_mme: f64 = (0..=10)
        .map(|level| {
            let level = f64::from(level);
            let below = if level == 0.0 {
                0.0
            } else {
                pain.cdf(level - 0.5)
            };
            let upto = if level == 10.0 {
                1.0
            } else {
                pain.cdf(level + 0.5)
            };
            (upto - below) * rescue_rate(level) * RESCUE_MME
        })
        .sum();
    case.effect * rescue_mme / (rescue_mme + (1.0 - STEADY_MISSED) * STEADY_MME)
}

/// The cases of the validation table: every null pattern, and the timings of a real effect.
pub fn cases() -> Vec<(String, Case)> {
    let mut cases = Vec::new();
    for weeks in [26, 52] {
        for booking in [
            Booking::RandomWeeks,
            Booking::Weekly,
            Booking::Fortnightly,
            Booking::Courses,
            Booking::OnBadDays,
        ] {
            cases.push((
                format!("{weeks} w, no effect, {}", booking.name()),
                Case::null(weeks, booking),
            ));
        }
        cases.push((
            format!("{weeks} w, no effect, drifting pain"),
            Case {
                drift: true,
                ..Case::null(weeks, Booking::RandomWeeks)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, pill habit drifting for weeks"),
            Case {
                habit_drift: true,
                ..Case::null(weeks, Booking::RandomWeeks)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, 30% of days missed"),
            Case {
                logging: Logging::Daily { missed: 0.3 },
                ..Case::null(weeks, Booking::RandomWeeks)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, every Saturday, fewer pills at weekends"),
            Case {
                weekend_habit: true,
                ..Case::null(weeks, Booking::Saturdays)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, Tuesdays and Fridays, fewer pills at weekends"),
            Case {
                weekend_habit: true,
                ..Case::null(weeks, Booking::TuesdaysAndFridays)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, on bad days, pills follow yesterday's pain"),
            Case {
                yesterdays_pain: true,
                ..Case::null(weeks, Booking::OnBadDays)
            },
        ));
        cases.push((
            format!("{weeks} w, no effect, logs only bad days, books on bad days"),
            Case {
                logging: Logging::BadDaysOnly,
                ..Case::null(weeks, Booking::OnBadDays)
            },
        ));
        for onset in 0..=2 {
            for length in [1, 2, 3, 5, 7, 10] {
                cases.push((
                    format!("{weeks} w, −33% on days {onset}–{}", onset + length - 1),
                    Case::effect(weeks, -0.33, onset, length),
                ));
            }
        }
        for (name, case) in [
            (
                "−33% days 1–5, on bad days",
                Case {
                    booking: Booking::OnBadDays,
                    ..Case::effect(weeks, -0.33, 1, 5)
                },
            ),
            (
                "−33% days 1–5, on bad days, pills follow yesterday's pain",
                Case {
                    booking: Booking::OnBadDays,
                    yesterdays_pain: true,
                    ..Case::effect(weeks, -0.33, 1, 5)
                },
            ),
            (
                "−33% days 1–5, courses, drifting pain",
                Case {
                    booking: Booking::Courses,
                    drift: true,
                    ..Case::effect(weeks, -0.33, 1, 5)
                },
            ),
            (
                "−33% days 1–3, every Saturday",
                Case {
                    booking: Booking::Saturdays,
                    ..Case::effect(weeks, -0.33, 1, 3)
                },
            ),
            (
                "−33% days 1–3, every Saturday, fewer pills at weekends",
                Case {
                    booking: Booking::Saturdays,
                    weekend_habit: true,
                    ..Case::effect(weeks, -0.33, 1, 3)
                },
            ),
            (
                "−33% days 1–3, Tuesdays and Fridays",
                Case {
                    booking: Booking::TuesdaysAndFridays,
                    ..Case::effect(weeks, -0.33, 1, 3)
                },
            ),
            (
                "−33% days 1–3, Tuesdays and Fridays, fewer pills at weekends",
                Case {
                    booking: Booking::TuesdaysAndFridays,
                    weekend_habit: true,
                    ..Case::effect(weeks, -0.33, 1, 3)
                },
            ),
            ("−50% days 0–3", Case::effect(weeks, -0.5, 0, 4)),
            ("−20% days 1–7", Case::effect(weeks, -0.2, 1, 7)),
            ("+20% days 1–7", Case::effect(weeks, 0.2, 1, 7)),
        ] {
            cases.push((format!("{weeks} w, {name}"), case));
        }
        // The same drops with twice the sessions: how much of the power is the number of
        // sessions, and what relief that outlasts the gap between sessions leaves to see.
        for (onset, length) in [(0, 3), (1, 3), (2, 3), (1, 5), (1, 7)] {
            cases.push((
                format!(
                    "{weeks} w, −33% on days {onset}–{}, weekly",
                    onset + length - 1
                ),
                Case {
                    booking: Booking::Weekly,
                    ..Case::effect(weeks, -0.33, onset, length)
                },
            ));
        }
    }
    // The opioid verdict, on MME: a third of doses opioid (as in the first simulator), an
    // opioid only as rescue on bad days (few, spiky opioid days, booked on bad days too:
    // confounding by indication where it matters most), and a steady daily opioid beside it.
    let ways = [
        Opioids::ShareOfDoses,
        Opioids::Rescue,
        Opioids::SteadyAndRescue,
    ];
    for weeks in [26, 52] {
        for opioids in ways {
            cases.push((
                format!("{weeks} w, opioid MME, no effect, {}", opioids.name()),
                Case::opioid(weeks, opioids, 0.0, 1, 7),
            ));
        }
        cases.push((
            format!("{weeks} w, opioid MME, no effect, rescue opioid, books on bad days"),
            Case {
                booking: Booking::OnBadDays,
                ..Case::opioid(weeks, Opioids::Rescue, 0.0, 1, 7)
            },
        ));
        for opioids in ways {
            cases.push((
                format!("{weeks} w, opioid MME, −33% days 1–5, {}", opioids.name()),
                Case::opioid(weeks, opioids, -0.33, 1, 5),
            ));
        }
    }
    for weeks in [8, 13] {
        cases.push((
            format!("{weeks} w, no effect, random weeks"),
            Case::null(weeks, Booking::RandomWeeks),
        ));
    }
    // Short journals booked other ways than random weeks: the independent simulator's
    // twice-weekly courses said "lower" or "higher" to 5.5-6.0% of 13-week null journals
    // (2,000 each, twice), where 26-week ones stay within the 5%; 5.0% since the journal's
    // own extremes join its shifts' (`lag_scan::search`).
    for booking in [Booking::Weekly, Booking::Courses, Booking::OnBadDays] {
        cases.push((
            format!("13 w, no effect, {}", booking.name()),
            Case::null(13, booking),
        ));
    }
    cases.push(("8 w, −33% days 1–5".into(), Case::effect(8, -0.33, 1, 5)));
    cases.push(("6 w, −33% days 1–5".into(), Case::effect(6, -0.33, 1, 5)));
    cases
}

/// Journals without an effect, per length and booking pattern, that set the reference's
/// critical values: at 4%, 1,000 put about 40 journals beyond the lower one.
const REFERENCE_CALIBRATION_RUNS: usize = 1_000;

/// Whether the case `name` holds `text` starting at a word, so that "6 w" picks the 6-week
/// case and not every "26 w" one.
fn names(name: &str, text: &str) -> bool {
    name.match_indices(text)
        .any(|(at, _)| !name[..at].ends_with(|c: char| c.is_alphanumeric()))
}

/// The seed of each case's first journal in the README's table; the CI check starts at
/// [`CHECK_FIRST_SEED`], so the bars are held on journals the table was not read from.
pub const TABLE_FIRST_SEED: u64 = 10_000;
pub const CHECK_FIRST_SEED: u64 = 50_000;

/// The validation table (markdown): `runs` journals per case from seed `first_seed` on;
/// with `only`, just the cases whose name holds that text (from the start of a word).
pub fn validation_table(runs: usize, only: Option<&str>, first_seed: u64) -> String {
    let mut out = String::from(
        "| case | said lower | said higher | not enough data | interval covers truth | bias (points) | window known in advance (same levels) | reference: lower / higher | told: a 3-day drop of a third shows |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut critical = std::collections::BTreeMap::new();
    let mut pain = PainApart::default();
    let mut alarms = NullAlarms::default();
    for (name, case) in cases() {
        if only.is_some_and(|text| !names(&name, text)) {
            continue;
        }
        let reference = *critical
            .entry((case.weeks, case.opioids, case.measure, case.booking))
            .or_insert_with(|| reference_critical(&case, REFERENCE_CALIBRATION_RUNS));
        let o = evaluate(&case, runs, first_seed, Some(reference));
        pain.add(&case, &o);
        alarms.add(&name, &case, &o);
        out.push_str(&format!(
            "| {name} | {:.0}% | {:.0}% | {:.0}% | {} | {} | {:.0}% | {:.0}% / {:.0}% | {} |\n",
            100.0 * o.share(o.lower),
            100.0 * o.share(o.higher),
            100.0 * o.share(o.not_enough),
            o.coverage()
                .map_or("–".into(), |c| format!("{:.0}%", 100.0 * c)),
            o.bias().map_or("–".into(), |b| format!("{b:+.1}")),
            100.0 * o.share(o.known_window),
            100.0 * o.share(o.reference_lower),
            100.0 * o.share(o.reference_higher),
            if o.chances == 0 {
                "–".to_string()
            } else {
                format!("{:.0}%", o.chance_sum / o.chances as f64)
            },
        ));
    }
    if let Some(line) = alarms.line() {
        out.push_str(&format!("\n{line}\n"));
    }
    if pain.runs > 0 {
        out.push_str(&format!("\n{}\n", pain.line()));
    }
    out
}

/// "Lower" or "higher" where there is no effect, per null case to a tenth of a point: the
/// table's whole percents hide whether a case of 4% + 1% is within issue 9's 5%.
#[derive(Debug, Default)]
struct NullAlarms {
    /// Per null case: its name and its rate.
    cases: Vec<(String, f64)>,
    alarms: usize,
    runs: usize,
}

impl NullAlarms {
    fn add(&mut self, name: &str, case: &Case, o: &Outcome) {
        if case.effect == 0.0 {
            self.cases
                .push((name.to_owned(), o.share(o.lower + o.higher)));
            self.alarms += o.lower + o.higher;
            self.runs += o.runs;
        }
    }

    /// "Lower" or "higher" over all the null journals added.
    fn pooled(&self) -> f64 {
        self.alarms as f64 / self.runs.max(1) as f64
    }

    fn line(&self) -> Option<String> {
        let (lowest, low) = self.cases.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
        let (highest, high) = self.cases.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
        let above: Vec<String> = self
            .cases
            .iter()
            .filter(|(_, rate)| *rate > 0.05)
            .map(|(name, rate)| format!("{name} {:.1}%", 100.0 * rate))
            .collect();
        Some(format!(
            "no effect, said lower or higher: {:.1}% ({lowest}) to {:.1}% ({highest}) per case, \
             {:.1}% over all {} null journals; above 5%: {}",
            100.0 * low,
            100.0 * high,
            100.0 * self.pooled(),
            self.runs,
            if above.is_empty() {
                "none".to_owned()
            } else {
                above.join(", ")
            }
        ))
    }
}

/// Pain called lower or higher after a massage where that is false: in the doses cases
/// whose sessions are booked apart from the pain (`Outcome::pain_lower`).
#[derive(Debug, Default)]
struct PainApart {
    lower: usize,
    higher: usize,
    runs: usize,
    intervals: usize,
    held_zero: usize,
}

impl PainApart {
    fn add(&mut self, case: &Case, o: &Outcome) {
        if case.measure == Measure::Doses && case.booking != Booking::OnBadDays {
            self.lower += o.pain_lower;
            self.higher += o.pain_higher;
            self.runs += o.runs;
            self.intervals += o.pain_intervals;
            self.held_zero += o.pain_held_zero;
        }
    }

    fn rate(&self) -> f64 {
        (self.lower + self.higher) as f64 / self.runs.max(1) as f64
    }

    fn line(&self) -> String {
        let share = |n: usize| 100.0 * n as f64 / self.runs.max(1) as f64;
        format!(
            "pain said lower / higher after a massage, over the {} journals booked apart from \
             the pain (massage never touches it here): {:.1}% / {:.1}%; its interval held 0 in \
             {:.1}% of {}",
            self.runs,
            share(self.lower),
            share(self.higher),
            100.0 * self.held_zero as f64 / self.intervals.max(1) as f64,
            self.intervals
        )
    }
}

/// How far, in points, what journals without an effect are told a 3-day drop of a third
/// would show (`chance_to_find_a_third_fewer`) may lie from how often such drops are found,
/// at 26 and 52 weeks with sessions in random weeks. Measured: told 53% and 85%, found 54%
/// and 91% (`validate-insight --family`, 200 journals a case); at 100 journals a case the
/// share found has a standard error of about 3 points.
const MAX_TOLD_GAP: f64 = 12.0;

/// What null journals are told against what the 3-day drops' journals get, per length.
#[derive(Debug, Default)]
struct ToldAndFound {
    /// Per length in weeks: the chances told and their number; drops found and journals.
    told: std::collections::BTreeMap<usize, (f64, usize)>,
    found: std::collections::BTreeMap<usize, (usize, usize)>,
}

impl ToldAndFound {
    fn add(&mut self, case: &Case, o: &Outcome) {
        if case.effect == 0.0 {
            let told = self.told.entry(case.weeks).or_default();
            told.0 += o.chance_sum;
            told.1 += o.chances;
        } else if case.effect == -0.33 && case.length == 3 {
            let found = self.found.entry(case.weeks).or_default();
            found.0 += o.lower;
            found.1 += o.runs;
        }
    }

    fn told(&self, weeks: usize) -> Option<f64> {
        let &(sum, n) = self.told.get(&weeks)?;
        (n > 0).then(|| sum / n as f64)
    }

    fn found(&self, weeks: usize) -> Option<f64> {
        let &(found, n) = self.found.get(&weeks)?;
        (n > 0).then(|| 100.0 * found as f64 / n as f64)
    }

    /// Told minus found, in points.
    fn gap(&self, weeks: usize) -> Option<f64> {
        Some(self.told(weeks)? - self.found(weeks)?)
    }

    fn line(&self, weeks: usize) -> String {
        let show = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.1}%"));
        format!(
            "{weeks} w, random weeks: journals without an effect are told a 3-day drop of a \
             third shows {}; such drops were found {}",
            show(self.told(weeks)),
            show(self.found(weeks))
        )
    }
}

/// The bars the CI holds the method to (`validate-insight --family --check`): with no
/// effect, "lower" or "higher" over all null cases together at most 5% plus sampling slack
/// (6% at 100 journals a case: 3,800 null journals, one standard error ≈ 0.35 points) and at
/// most 12% in any one case; pain called lower or higher after a massage at most as often
/// over the doses journals booked apart from the pain (`PainApart`; 3.5% of 3,100 on
/// 2026-12-06); a one-third drop lasting 3 days or more found at least 80% of
/// the time in a year. The last is a guard against getting worse, below the 95% that issue 9
/// asks for (measured: 87–100% by timing at these seeds). The null cases include journals of
/// two and three months (8 weeks; 13 weeks booked four ways). What null journals with
/// sessions in random weeks are told a 3-day drop of a third would show must lie within
/// [`MAX_TOLD_GAP`] of how often such drops are found, at 26 and 52 weeks. Answers the
/// checked cases, or what fell short.
pub fn check(runs: usize) -> Result<String, String> {
    const MAX_POOLED_FALSE_ALARMS: f64 = 0.06;
    const MAX_CASE_FALSE_ALARMS: f64 = 0.12;
    const MIN_POWER_52_WEEKS: f64 = 0.80;
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut alarms = NullAlarms::default();
    let mut pain = PainApart::default();
    let mut told = ToldAndFound::default();
    for (name, case) in cases() {
        let is_null = case.effect == 0.0;
        // Sessions in random weeks and nothing else unusual: the journals the chance told
        // is checked on.
        let random_weeks_doses = case
            == Case {
                effect: case.effect,
                onset: case.onset,
                length: case.length,
                ..Case::null(case.weeks, Booking::RandomWeeks)
            };
        let long_drop = case.weeks == 52 && case.effect <= -0.33 && case.length >= 3;
        let three_days = case.effect == -0.33 && case.length == 3;
        let in_check = is_null || (random_weeks_doses && (long_drop || three_days));
        if !in_check {
            continue;
        }
        let o = evaluate(&case, runs, CHECK_FIRST_SEED, None);
        if random_weeks_doses {
            told.add(&case, &o);
        }
        if three_days && !long_drop {
            // Only for what the journals are told (below).
            continue;
        }
        pain.add(&case, &o);
        alarms.add(&name, &case, &o);
        if is_null {
            let rate = o.share(o.lower + o.higher);
            report.push_str(&format!("{name}: false alarms {:.1}%\n", 100.0 * rate));
            if rate > MAX_CASE_FALSE_ALARMS {
                failures.push(format!("{name}: false alarms {:.1}%", 100.0 * rate));
            }
        } else {
            let power = o.share(o.lower);
            report.push_str(&format!("{name}: found {:.1}%\n", 100.0 * power));
            if power < MIN_POWER_52_WEEKS {
                failures.push(format!("{name}: found {:.1}%", 100.0 * power));
            }
        }
    }
    let pooled = alarms.pooled();
    report.push_str(&format!(
        "all null cases: false alarms {:.1}%\n",
        100.0 * pooled
    ));
    if pooled > MAX_POOLED_FALSE_ALARMS {
        failures.push(format!(
            "all null cases: false alarms {:.1}%",
            100.0 * pooled
        ));
    }
    report.push_str(&format!("{}\n", pain.line()));
    if pain.rate() > MAX_POOLED_FALSE_ALARMS {
        failures.push(pain.line());
    }
    for weeks in [26, 52] {
        let line = told.line(weeks);
        report.push_str(&format!("{line}\n"));
        if told.gap(weeks).is_none_or(|gap| gap.abs() > MAX_TOLD_GAP) {
            failures.push(line);
        }
    }
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(format!(
            "{report}\nbelow the bars:\n{}",
            failures.join("\n")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn the_known_window_is_tested_at_the_verdicts_own_levels() {
        use super::known_window_verdict;
        // One-sided 4% for a drop: −1.80 is "lower" although |z| < 1.96.
        assert_eq!(known_window_verdict(-1.80), Some(true));
        assert_eq!(known_window_verdict(-1.70), None);
        // One-sided 1% for a rise: 2.0 is not enough, 2.4 is.
        assert_eq!(known_window_verdict(2.0), None);
        assert_eq!(known_window_verdict(2.4), Some(false));
    }

    #[test]
    fn standing_appointments_keep_their_weekdays() {
        use super::{generate, Booking, Case};
        use chrono::{Datelike, NaiveDate, Weekday};
        let start = NaiveDate::from_isoywd_opt(2025, 2, Weekday::Mon).unwrap();
        let journal = generate(&Case::null(52, Booking::TuesdaysAndFridays), 7, start);
        let on = |day: Weekday| {
            journal
                .massages
                .iter()
                .filter(|d| d.weekday() == day)
                .count()
        };
        let (tuesdays, fridays) = (on(Weekday::Tue), on(Weekday::Fri));
        assert_eq!(tuesdays + fridays, journal.massages.len());
        // Each skipped one time in six: about 43 of 52 weeks, each.
        for n in [tuesdays, fridays] {
            assert!((34..=50).contains(&n), "{tuesdays} {fridays}");
        }
        let saturdays = generate(&Case::null(52, Booking::Saturdays), 7, start);
        assert!(saturdays
            .massages
            .iter()
            .all(|d| d.weekday() == Weekday::Sat));
    }

    #[test]
    fn null_false_alarms_are_told_to_a_tenth_of_a_point() {
        use super::{Booking, Case, NullAlarms, Outcome};
        let mut alarms = NullAlarms::default();
        assert_eq!(alarms.line(), None);
        let outcome = |lower, higher| Outcome {
            runs: 1000,
            lower,
            higher,
            ..Outcome::default()
        };
        // 4.6% + 0.8%: the table's "5%" and "1%" would read as within 5%.
        alarms.add("a", &Case::null(26, Booking::Weekly), &outcome(46, 8));
        alarms.add("b", &Case::null(26, Booking::Courses), &outcome(20, 3));
        alarms.add("c", &Case::effect(26, -0.33, 1, 3), &outcome(600, 0));
        assert_eq!(
            alarms.line().unwrap(),
            "no effect, said lower or higher: 2.3% (b) to 5.4% (a) per case, 3.9% over all \
             2000 null journals; above 5%: a 5.4%"
        );
    }

    #[test]
    fn a_case_is_picked_by_text_that_starts_a_word() {
        assert!(names("6 w, −33% days 1–5", "6 w"));
        assert!(!names("26 w, −33% days 1–5", "6 w"));
        assert!(names("26 w, no effect, courses", "no effect"));
        assert!(names("26 w, no effect, courses", "26 w, no"));
        assert!(!names("26 w, no effect, courses", "effects"));
    }
}
