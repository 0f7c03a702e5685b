//! Journals nobody would simulate on purpose, through the whole analysis: every number it
//! answers with must be finite and in range, and the verdict must agree with its p-values.
//! The validation families are well-behaved people; a phone can send anything the API
//! accepts (pain 0–10, up to 100 units of a medication of up to 100,000 mg, any number of
//! intakes and sessions on a day, gaps of months), and a panic or a NaN here is a 500 or a
//! sentence reading "NaN% fewer".

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::reports::{chart, Period};

use super::analysis::{AroundSessions, Trend, Verdict, Views, WeekComparison};
use super::lag_scan::LagScan;
use super::load::{effect_of, DEFAULT_WINDOW_DAYS};
use super::series::{DoseObservation, Journal, PainObservation};

/// How one odd journal is drawn.
#[derive(Debug, Clone, Copy)]
struct Shape {
    days: i64,
    /// Chance that a day has a pain entry.
    logged: f64,
    /// Pain the same on every logged day, or anything 0–10.
    pain: Option<i32>,
    /// Intakes on a logged day: fixed, or up to this many.
    doses: Doses,
    /// Chance of a session on a day, and how many at once at most.
    massage: f64,
    sessions_at_once: u32,
    /// MME of an opioid intake (0 = not an opioid).
    mme: f64,
    /// A fentanyl patch: its MME spread over 3 days.
    patch: bool,
    /// Sessions only in the first `crowded` days (all at once), when set.
    crowded: Option<i64>,
    /// Intakes logged on the days without a pain entry instead.
    doses_apart: bool,
}

#[derive(Debug, Clone, Copy)]
enum Doses {
    None,
    Same(u32),
    UpTo(u32),
}

fn draw_shape(rng: &mut ChaCha8Rng) -> Shape {
    const LENGTHS: [i64; 16] = [
        1, 2, 30, 55, 56, 57, 70, 83, 84, 85, 120, 183, 183, 400, 400, 1_900,
    ];
    Shape {
        days: LENGTHS[rng.gen_range(0..LENGTHS.len())],
        logged: [1.0, 1.0, 0.9, 0.5, 0.1][rng.gen_range(0..5)],
        pain: rng.gen_bool(0.2).then(|| rng.gen_range(0..=10)),
        doses: match rng.gen_range(0..4) {
            0 => Doses::None,
            1 => Doses::Same(rng.gen_range(1..4)),
            2 => Doses::UpTo(3),
            _ => Doses::UpTo(200),
        },
        massage: [0.0, 0.02, 0.1, 0.14, 0.14, 0.5, 1.0][rng.gen_range(0..7)],
        sessions_at_once: [1, 1, 3, 20][rng.gen_range(0..4)],
        // Up to 100 tablets of 100,000 mg of an opioid: absurd, and accepted by the API.
        mme: [0.0, 0.0, 7.5, 20.0, 1.5e7][rng.gen_range(0..5)],
        patch: rng.gen_bool(0.2),
        crowded: rng.gen_bool(0.2).then(|| [1, 3, 14][rng.gen_range(0..3)]),
        doses_apart: rng.gen_bool(0.1),
    }
}

fn draw_journal(shape: &Shape, rng: &mut ChaCha8Rng) -> Journal {
    let start = NaiveDate::from_ymd_opt(2024, 2, 26).expect("valid date");
    let mut journal = Journal::default();
    for i in 0..shape.days {
        let date = start + Duration::days(i);
        // The first and last day always hold an entry, so the journal spans `days`.
        let edge = i == 0 || i == shape.days - 1;
        let logged = edge || rng.gen_bool(shape.logged);
        if logged {
            let intensity = shape.pain.unwrap_or_else(|| rng.gen_range(0..=10));
            for _ in 0..rng.gen_range(1..=3) {
                journal.pain.push(PainObservation {
                    date,
                    intensity,
                    back_pain: rng.gen_bool(0.5).then(|| rng.gen_range(0..=10)),
                    leg_pain: rng.gen_bool(0.5).then(|| rng.gen_range(0..=10)),
                });
            }
        }
        if logged != shape.doses_apart {
            let doses = match shape.doses {
                Doses::None => 0,
                Doses::Same(n) => n,
                Doses::UpTo(n) => rng.gen_range(0..=n),
            };
            for _ in 0..doses {
                let opioid = shape.mme > 0.0 && rng.gen_bool(0.5);
                journal.doses.push(DoseObservation {
                    date,
                    drug_class: if opioid { "opioid" } else { "nsaid" }.into(),
                    mme: opioid.then_some(shape.mme),
                    mme_days: if opioid && shape.patch { 3 } else { 1 },
                });
            }
        }
        let allowed = shape.crowded.is_none_or(|days| i < days);
        if allowed && rng.gen_bool(shape.massage) {
            for _ in 0..rng.gen_range(1..=shape.sessions_at_once) {
                journal.massages.push(date);
            }
        }
    }
    journal
}

/// Every number a view answers with, by name.
fn view_numbers(name: &str, views: &Views) -> Vec<(String, f64)> {
    let mut numbers = Vec::new();
    let mut add = |field: &str, value: Option<f64>| {
        if let Some(v) = value {
            numbers.push((format!("{name}.{field}"), v));
        }
    };
    let WeekComparison {
        mean_with_massage,
        mean_without_massage,
        change_percent,
        ci95_low,
        ci95_high,
        p_value,
        ..
    } = &views.weeks;
    add("weeks.mean_with_massage", *mean_with_massage);
    add("weeks.mean_without_massage", *mean_without_massage);
    add("weeks.change_percent", *change_percent);
    add("weeks.ci95_low", *ci95_low);
    add("weeks.ci95_high", *ci95_high);
    add("weeks.p_value", *p_value);
    let AroundSessions {
        mean_before,
        mean_after,
        change_percent,
        ci95_low,
        ci95_high,
        p_value,
        ..
    } = &views.around_sessions;
    add("around.mean_before", *mean_before);
    add("around.mean_after", *mean_after);
    add("around.change_percent", *change_percent);
    add("around.ci95_low", *ci95_low);
    add("around.ci95_high", *ci95_high);
    add("around.p_value", *p_value);
    let Trend {
        slope_per_week,
        slope_ci95_low,
        slope_ci95_high,
        slope_p_value,
        level_change_at_first_massage,
        level_change_ci95,
        slope_change_after_first_massage,
        slope_change_ci95,
    } = &views.trend;
    add("trend.slope_per_week", *slope_per_week);
    add("trend.slope_ci95_low", *slope_ci95_low);
    add("trend.slope_ci95_high", *slope_ci95_high);
    add("trend.slope_p_value", *slope_p_value);
    add("trend.level_change", *level_change_at_first_massage);
    add("trend.level_change_ci95.0", level_change_ci95.map(|c| c.0));
    add("trend.level_change_ci95.1", level_change_ci95.map(|c| c.1));
    add("trend.slope_change", *slope_change_after_first_massage);
    add("trend.slope_change_ci95.0", slope_change_ci95.map(|c| c.0));
    add("trend.slope_change_ci95.1", slope_change_ci95.map(|c| c.1));
    if let Some(scan) = &views.days_after_massage {
        add("scan.change_percent", Some(scan.change_percent));
        add("scan.ci95_low", Some(scan.ci95_low));
        add("scan.ci95_high", Some(scan.ci95_high));
        add("scan.p_lower", Some(scan.p_lower));
        add("scan.p_higher", Some(scan.p_higher));
        add(
            "scan.chance_to_find_a_third_fewer",
            scan.chance_to_find_a_third_fewer,
        );
        for day in &scan.profile {
            add(&format!("scan.profile.{}", day.day), day.change_percent);
        }
    }
    numbers
}

/// What must hold of one search, whatever the journal.
fn check_scan(name: &str, scan: &LagScan, days: usize) -> Result<(), String> {
    let fail = |what: &str| Err(format!("{name}: {what}: {scan:?}"));
    if !(0.0..=1.0).contains(&scan.p_lower) || !(0.0..=1.0).contains(&scan.p_higher) {
        return fail("a p-value outside 0–1");
    }
    if scan.ci95_low > scan.ci95_high {
        return fail("the interval's ends swapped");
    }
    if scan
        .chance_to_find_a_third_fewer
        .is_some_and(|c| !(0.0..=100.0).contains(&c))
    {
        return fail("a chance outside 0–100%");
    }
    if scan.window_first_day > scan.window_last_day || scan.window_last_day > 11 {
        return fail("a window outside days 0–11");
    }
    if scan.days_used > days || scan.profile.len() != 11 {
        return fail("more days used than the journal holds, or a short profile");
    }
    Ok(())
}

/// Checks one journal; `Ok(true)` when its doses were searched.
fn check(journal: &Journal) -> Result<bool, String> {
    let effect = effect_of(journal, DEFAULT_WINDOW_DAYS);
    let analysis = &effect.analysis;
    let days = effect.daily.len();
    let views = [
        ("painkiller_doses", &analysis.painkiller_doses),
        ("opioid_mme", &analysis.opioid_mme),
        ("pain", &analysis.pain),
    ];
    for (name, view) in views {
        for (field, value) in view_numbers(name, view) {
            if !value.is_finite() {
                return Err(format!("{field} = {value}"));
            }
        }
        if let Some(scan) = &view.days_after_massage {
            check_scan(name, scan, days)?;
        }
    }
    if let Some(scan) = &analysis.painkiller_doses.days_after_massage {
        if scan.ci95_low < -100.0 {
            return Err(format!("a drop beyond 100%: {scan:?}"));
        }
    }
    let doses = analysis.painkiller_doses.days_after_massage.as_ref();
    let agrees = match analysis.verdict {
        Verdict::LowerWithMassage => doses.is_some_and(|s| s.p_lower <= s.alpha_lower),
        Verdict::HigherWithMassage => {
            doses.is_some_and(|s| s.p_lower > s.alpha_lower && s.p_higher <= s.alpha_higher)
        }
        Verdict::NoClearDifference | Verdict::NotEnoughData => {
            doses.is_none_or(|s| s.p_lower > s.alpha_lower && s.p_higher > s.alpha_higher)
        }
    };
    if !agrees {
        return Err(format!("verdict {:?} against {doses:?}", analysis.verdict));
    }
    if analysis.opioid_verdict.is_some() != analysis.opioid_summary.is_some() {
        return Err("an opioid verdict without its sentence, or the reverse".into());
    }
    let sentences = std::iter::once(&analysis.summary).chain(&analysis.opioid_summary);
    for sentence in sentences {
        let odd = ["NaN", "inf%", "inf ", "-0%", "{", "}"];
        if sentence.trim().is_empty() || odd.iter().any(|o| sentence.contains(o)) {
            return Err(format!("sentence: {sentence:?}"));
        }
    }
    for day in &effect.daily {
        let values = [day.doses, day.opioid_mme];
        if values.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(format!("daily {day:?}"));
        }
    }
    // The doctor's report draws the same days.
    if let (Some(first), Some(last)) = (effect.daily.first(), effect.daily.last()) {
        let period = Period {
            from: first.date,
            to: last.date,
        };
        let svg = chart::render(&period, &effect.daily).map_err(|e| format!("chart: {e}"))?;
        if ["NaN", "\"inf", "\"-inf", " inf", " -inf"]
            .iter()
            .any(|odd| svg.contains(odd))
        {
            return Err("a chart with NaN or inf in it".into());
        }
    }
    Ok(doses.is_some())
}

#[test]
fn odd_journals_get_finite_consistent_answers() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut failures, mut searched, mut tried) = (Vec::new(), 0, 0);
    for n in 0..300 {
        let shape = draw_shape(&mut rng);
        // The five-year journals are slow in a debug build: a few are enough.
        if shape.days > 1_000 && n % 8 != 0 {
            continue;
        }
        let journal = draw_journal(&shape, &mut rng);
        tried += 1;
        match check(&journal) {
            Ok(true) => searched += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("journal {n} ({shape:?}): {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{searched} of {tried} odd journals searched");
    // Not only journals too short to search.
    assert!(searched >= 20, "{searched} of {tried}");
}

#[test]
fn an_empty_journal_is_not_enough_data() {
    let effect = effect_of(&Journal::default(), DEFAULT_WINDOW_DAYS);
    assert_eq!(effect.analysis.verdict, Verdict::NotEnoughData);
    assert!(effect.daily.is_empty());
    check(&Journal::default()).unwrap();
}
