//! The analysis behind `/v1/insights/massage-effect` (the method is in the module doc of
//! `insight`).

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use utoipa::ToSchema;

use super::lag_scan::{self, LagScan};
use super::series::{Day, Week};
use super::shifted_exposure::{exposed, interval, ExposureFit};
use super::stats::{block_resample, bootstrap_summary, mean, ols};

/// Weeks of each kind (with / without a massage) needed before the comparison is made.
pub const MIN_WEEKS_EACH: usize = 3;
/// Weeks of journal needed in all.
pub const MIN_WEEKS: usize = 8;
/// A week counts when at least this many of its days lie in the journal's span.
pub const MIN_DAYS_PER_WEEK: u32 = 4;

#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Days before and after each session compared (N).
    pub window_days: i64,
    pub resamples: usize,
    /// Every random step starts from this seed: the same data always gives the same answer.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            window_days: 3,
            resamples: 400,
            seed: 20_261_127,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    LowerWithMassage,
    NoClearDifference,
    HigherWithMassage,
    NotEnoughData,
}

/// Weeks with massage against weeks without.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekComparison {
    pub weeks_with_massage: usize,
    pub weeks_without_massage: usize,
    /// Plain means per day, for orientation (not adjusted).
    pub mean_with_massage: Option<f64>,
    pub mean_without_massage: Option<f64>,
    /// Adjusted relative change (%) on the days after a massage against other days, at the
    /// same pain and point in time (a day-level fit; interval and p-value from the session
    /// dates shifted around the timeline).
    pub change_percent: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub p_value: Option<f64>,
}

/// The N days after each session against the N days before, pooled over sessions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AroundSessions {
    pub window_days: i64,
    pub sessions: usize,
    pub mean_before: Option<f64>,
    pub mean_after: Option<f64>,
    pub change_percent: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub p_value: Option<f64>,
}

/// The weekly values over time, and a segmented fit around the first massage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trend {
    pub slope_per_week: Option<f64>,
    pub slope_ci95_low: Option<f64>,
    pub slope_ci95_high: Option<f64>,
    pub slope_p_value: Option<f64>,
    /// Interrupted time series: the jump at the first massage, and the change of slope.
    pub level_change_at_first_massage: Option<f64>,
    pub level_change_ci95: Option<(f64, f64)>,
    pub slope_change_after_first_massage: Option<f64>,
    pub slope_change_ci95: Option<(f64, f64)>,
}

/// One outcome in the three descriptive views, and the search for the days after a
/// massage that differ (which the verdict rests on, and for pain the words on pain; absent
/// when too early, and on MME for people who take no opioids).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Views {
    pub weeks: WeekComparison,
    pub around_sessions: AroundSessions,
    pub trend: Trend,
    pub days_after_massage: Option<LagScan>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Analysis {
    /// On all painkiller doses.
    pub verdict: Verdict,
    /// One plain sentence about the user's own records.
    pub summary: String,
    /// The same on opioid morphine milligram equivalents, for people who take opioids
    /// (on at least 14 days); null otherwise.
    pub opioid_verdict: Option<Verdict>,
    pub opioid_summary: Option<String>,
    /// Painkiller doses per day, all classes.
    pub painkiller_doses: Views,
    /// Opioid morphine milligram equivalents per day.
    pub opioid_mme: Views,
    /// Pain intensity (0–10), so a drop in pills with rising pain is visible.
    pub pain: Views,
}

fn eligible(weeks: &[Week]) -> Vec<&Week> {
    weeks
        .iter()
        .filter(|w| w.days >= MIN_DAYS_PER_WEEK)
        .collect()
}

fn weeks_since(first: NaiveDate, week: &Week) -> f64 {
    (week.starts - first).num_days() as f64 / 7.0
}

/// Weeks with massage against weeks without: plain weekly means, and the adjusted change
/// from a day-level fit, tested against shifted session dates (see the module doc of
/// `insight`).
pub fn compare_weeks(
    days: &[Day],
    weeks: &[Week],
    daily: impl Fn(&Day) -> Option<f64>,
    weekly: impl Fn(&Week) -> Option<f64>,
    adjust_for_pain: bool,
) -> WeekComparison {
    let usable: Vec<&Week> = eligible(weeks)
        .into_iter()
        .filter(|w| weekly(w).is_some())
        .collect();
    let with: Vec<f64> = usable
        .iter()
        .filter(|w| w.massage_sessions > 0)
        .filter_map(|w| weekly(w))
        .collect();
    let without: Vec<f64> = usable
        .iter()
        .filter(|w| w.massage_sessions == 0)
        .filter_map(|w| weekly(w))
        .collect();
    let mut comparison = WeekComparison {
        weeks_with_massage: with.len(),
        weeks_without_massage: without.len(),
        mean_with_massage: mean(&with),
        mean_without_massage: mean(&without),
        change_percent: None,
        ci95_low: None,
        ci95_high: None,
        p_value: None,
    };
    if with.len() < MIN_WEEKS_EACH || without.len() < MIN_WEEKS_EACH || usable.len() < MIN_WEEKS {
        return comparison;
    }
    // The days of the usable weeks as regression rows.
    let first = usable[0].starts;
    let mut rows = Vec::new();
    for week in &usable {
        let ends = week.starts + chrono::Duration::days(7);
        let from = days.partition_point(|d| d.date < week.starts);
        for (i, day) in days.iter().enumerate().skip(from) {
            if day.date >= ends {
                break;
            }
            let (Some(value), pain) = (daily(day), day.pain_mean) else {
                continue;
            };
            if adjust_for_pain && pain.is_none() {
                continue;
            }
            let mut confounders = vec![1.0];
            if let Some(pain) = pain.filter(|_| adjust_for_pain) {
                confounders.push(pain);
            }
            confounders.push((day.date - first).num_days() as f64 / 7.0);
            rows.push((i, confounders, value));
        }
    }
    let Some(fit) = ExposureFit::new(rows) else {
        return comparison;
    };
    let sessions: Vec<usize> = (0..days.len())
        .filter(|&i| days[i].massage_sessions > 0)
        .collect();
    let recorded: Vec<bool> = days.iter().map(|d| d.after_massage).collect();
    let Some(point) = fit.relative_change(&recorded) else {
        return comparison;
    };
    comparison.change_percent = Some(point);
    // Under no effect the change varies as it does over the shifted timelines: their spread
    // is its standard error (see `shifted_exposure`).
    let shifted: Vec<f64> = lag_scan::shifts(days.len())
        .into_iter()
        .filter_map(|shift| fit.relative_change(&exposed(days.len(), &sessions, shift)))
        .collect();
    if let Some((low, high, p)) = interval(point, &shifted, days.len()) {
        comparison.ci95_low = Some(low);
        comparison.ci95_high = Some(high);
        comparison.p_value = Some(p);
    }
    comparison
}

/// Days before against days after each session (`outcome` per day; days without a value are
/// left out of the means).
pub fn around_sessions(
    days: &[Day],
    outcome: impl Fn(&Day) -> Option<f64>,
    params: &Params,
) -> AroundSessions {
    let n = params.window_days.max(1) as usize;
    let mut pairs: Vec<(f64, f64)> = Vec::new();
    for (i, day) in days.iter().enumerate() {
        if day.massage_sessions == 0 || i < n || i + n >= days.len() {
            continue;
        }
        let before: Vec<f64> = days[i - n..i].iter().filter_map(&outcome).collect();
        let after: Vec<f64> = days[i + 1..=i + n].iter().filter_map(&outcome).collect();
        if let (Some(b), Some(a)) = (mean(&before), mean(&after)) {
            pairs.push((b, a));
        }
    }
    let pooled = |pairs: &[(f64, f64)]| -> Option<(f64, f64, f64)> {
        let before = mean(&pairs.iter().map(|p| p.0).collect::<Vec<_>>())?;
        let after = mean(&pairs.iter().map(|p| p.1).collect::<Vec<_>>())?;
        (before > 0.05).then(|| (before, after, 100.0 * (after - before) / before))
    };
    let mut result = AroundSessions {
        window_days: n as i64,
        sessions: pairs.len(),
        mean_before: None,
        mean_after: None,
        change_percent: None,
        ci95_low: None,
        ci95_high: None,
        p_value: None,
    };
    if pairs.len() < MIN_WEEKS_EACH {
        return result;
    }
    let Some((before, after, point)) = pooled(&pairs) else {
        result.mean_before = mean(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
        result.mean_after = mean(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
        return result;
    };
    result.mean_before = Some(before);
    result.mean_after = Some(after);
    result.change_percent = Some(point);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ 0xA5A5);
    let mut estimates = Vec::with_capacity(params.resamples);
    for _ in 0..params.resamples {
        // Sessions are weeks apart, so they are resampled one by one.
        let picks = block_resample(&mut rng, pairs.len(), 1);
        let sample: Vec<(f64, f64)> = picks.iter().map(|&i| pairs[i]).collect();
        if let Some((_, _, estimate)) = pooled(&sample) {
            estimates.push(estimate);
        }
    }
    if let Some(((low, high), p)) = bootstrap_summary(&mut estimates, point) {
        result.ci95_low = Some(low);
        result.ci95_high = Some(high);
        result.p_value = Some(p);
    }
    result
}

pub fn trend(weeks: &[Week], outcome: impl Fn(&Week) -> Option<f64>) -> Trend {
    let usable: Vec<&Week> = eligible(weeks)
        .into_iter()
        .filter(|w| outcome(w).is_some())
        .collect();
    let mut trend = Trend {
        slope_per_week: None,
        slope_ci95_low: None,
        slope_ci95_high: None,
        slope_p_value: None,
        level_change_at_first_massage: None,
        level_change_ci95: None,
        slope_change_after_first_massage: None,
        slope_change_ci95: None,
    };
    let Some(first) = usable.first().map(|w| w.starts) else {
        return trend;
    };
    let t: Vec<f64> = usable.iter().map(|w| weeks_since(first, w)).collect();
    let y: Vec<f64> = usable.iter().filter_map(|w| outcome(w)).collect();
    if usable.len() >= 4 {
        let rows: Vec<Vec<f64>> = t.iter().map(|&t| vec![1.0, t]).collect();
        if let Some(fit) = ols(&rows, &y) {
            let (p, (low, high)) = fit.test(1);
            trend.slope_per_week = Some(fit.coefficients[1]);
            trend.slope_ci95_low = Some(low);
            trend.slope_ci95_high = Some(high);
            trend.slope_p_value = Some(p);
        }
    }
    // Segmented regression: y = a + b·t + c·after + d·(t − t₀)·after.
    if let Some(start) = usable.iter().position(|w| w.massage_sessions > 0) {
        let t0 = t[start];
        if start >= MIN_WEEKS_EACH && usable.len() - start >= MIN_WEEKS_EACH {
            let rows: Vec<Vec<f64>> = t
                .iter()
                .map(|&t| {
                    let after = f64::from(u8::from(t >= t0));
                    vec![1.0, t, after, (t - t0) * after]
                })
                .collect();
            if let Some(fit) = ols(&rows, &y) {
                trend.level_change_at_first_massage = Some(fit.coefficients[2]);
                trend.level_change_ci95 = Some(fit.test(2).1);
                trend.slope_change_after_first_massage = Some(fit.coefficients[3]);
                trend.slope_change_ci95 = Some(fit.test(3).1);
            }
        }
    }
    trend
}

fn views(
    days: &[Day],
    weeks: &[Week],
    daily: impl Fn(&Day) -> Option<f64> + Copy,
    weekly: impl Fn(&Week) -> Option<f64> + Copy,
    adjust_for_pain: bool,
    params: &Params,
) -> Views {
    Views {
        weeks: compare_weeks(days, weeks, daily, weekly, adjust_for_pain),
        around_sessions: around_sessions(days, daily, params),
        trend: trend(weeks, weekly),
        days_after_massage: None,
    }
}

/// The lag search on an outcome, once the journal spans enough weeks.
fn days_after_massage(days: &[Day], outcome: impl Fn(&Day) -> f64) -> Option<LagScan> {
    long_enough_to_search(days).then(|| lag_scan::scan(days, outcome))?
}

/// The journal spans enough weeks, and holds enough logged days and sessions, for the lag
/// search.
fn long_enough_to_search(days: &[Day]) -> bool {
    days.len() >= MIN_WEEKS * 7 && lag_scan::searchable(days)
}

/// The outcome's one value when the journal is long enough to search but the outcome was
/// the same on every day with a pain entry (a fixed regimen, say 20 MME of a long-acting
/// opioid every day): there is no difference to find, which is an answer, not a lack of
/// data.
fn unchanging(days: &[Day], outcome: impl Fn(&Day) -> f64) -> Option<f64> {
    let used: Vec<f64> = days
        .iter()
        .filter(|d| d.pain_mean.is_some())
        .map(&outcome)
        .collect();
    let first = *used.first()?;
    (long_enough_to_search(days) && first > 0.0 && used.iter().all(|&y| y == first))
        .then_some(first)
}

/// Days with some opioid before the opioid verdict is given.
const MIN_OPIOID_DAYS: usize = 14;

/// Whether the journal holds enough opioid days for the opioid verdict.
pub fn takes_opioids(days: &[Day]) -> bool {
    days.iter().filter(|d| d.opioid_mme > 0.0).count() >= MIN_OPIOID_DAYS
}

pub fn analyse(days: &[Day], weeks: &[Week], params: &Params) -> Analysis {
    let mut painkiller_doses = views(
        days,
        weeks,
        |d| Some(d.doses),
        |w| Some(w.doses_per_day),
        true,
        params,
    );
    let mut opioid_mme = views(
        days,
        weeks,
        |d| Some(d.opioid_mme),
        |w| Some(w.opioid_mme_per_day),
        true,
        params,
    );
    let mut pain = views(days, weeks, |d| d.pain_mean, |w| w.pain_mean, false, params);
    painkiller_doses.days_after_massage = days_after_massage(days, |d| d.doses);
    // `scan_pain` itself answers nothing this early; the sentence says why.
    let pain_too_early = lag_scan::pain_too_early(days);
    pain.days_after_massage = if long_enough_to_search(days) {
        lag_scan::scan_pain(days)
    } else {
        None
    };
    let pain_found = PainFound {
        scan: pain.days_after_massage.as_ref(),
        too_early: pain_too_early,
    };
    let takes_opioids = takes_opioids(days);
    if takes_opioids {
        opioid_mme.days_after_massage = days_after_massage(days, |d| d.opioid_mme);
    }
    let (verdict, summary) = match unchanging(days, |d| d.doses) {
        Some(doses) => same_every_day(
            &format!("number of painkiller doses ({doses} a day)"),
            pain_found,
        ),
        None => judge(
            painkiller_doses.days_after_massage.as_ref(),
            "painkiller doses",
            &painkiller_doses.weeks,
            pain_found,
            weeks,
        ),
    };
    let (opioid_verdict, opioid_summary) = if takes_opioids {
        let (v, s) = match unchanging(days, |d| d.opioid_mme) {
            Some(mme) => same_every_day(&format!("opioid dose ({mme} MME a day)"), pain_found),
            None => judge(
                opioid_mme.days_after_massage.as_ref(),
                "opioid (MME)",
                &opioid_mme.weeks,
                pain_found,
                weeks,
            ),
        };
        (Some(v), Some(s))
    } else {
        (None, None)
    };
    Analysis {
        verdict,
        summary,
        opioid_verdict,
        opioid_summary,
        painkiller_doses,
        opioid_mme,
        pain,
    }
}

/// "1 more week with a massage", "3 more weeks with a massage".
fn more_weeks(n: usize, what: &str) -> String {
    let weeks = if n == 1 { "week" } else { "weeks" };
    format!("{n} more {weeks}{what}")
}

/// What is still missing before a comparison can be made, in words.
fn missing(doses: &WeekComparison, weeks: &[Week]) -> String {
    let mut needs = Vec::new();
    let with = doses.weeks_with_massage;
    let without = doses.weeks_without_massage;
    if with < MIN_WEEKS_EACH {
        needs.push(more_weeks(MIN_WEEKS_EACH - with, " with a massage"));
    }
    if without < MIN_WEEKS_EACH {
        needs.push(more_weeks(MIN_WEEKS_EACH - without, " without a massage"));
    }
    let total = eligible(weeks).len();
    if needs.is_empty() && total < MIN_WEEKS {
        needs.push(more_weeks(MIN_WEEKS - total, " of entries"));
    }
    if needs.is_empty() {
        return "Not enough data yet: log your painkillers and pain every day, including the days \
                you take none."
            .into();
    }
    format!(
        "Not enough data yet: record {} (with your pain and painkillers).",
        needs.join(" and ")
    )
}

/// "on days 1–3 after a massage", "on the day of a massage", …: a window in words.
fn window_words(first: usize, last: usize) -> String {
    match (first, last) {
        (0, 0) => "on the day of a massage".to_owned(),
        (0, 1) => "on the day of a massage and the day after".to_owned(),
        (0, last) => format!("from the day of a massage to {last} days after"),
        (first, last) if first == last => format!("on day {first} after a massage"),
        (first, last) => format!("on days {first}–{last} after a massage"),
    }
}

/// What the search on pain itself found (`scan`), or that the journal is too short for it.
#[derive(Debug, Clone, Copy, Default)]
struct PainFound<'a> {
    scan: Option<&'a LagScan>,
    too_early: bool,
}

/// How the pain on the days after a massage compared with other days (the search on pain
/// itself, `lag_scan::scan_pain`), in words.
fn pain_words(pain: PainFound) -> String {
    if pain.too_early {
        return format!(
            "your pain on the days after a massage is compared with other days over {} weeks \
             or more",
            lag_scan::PAIN_MIN_DAYS / 7
        );
    }
    let Some((scan, lower)) = pain.scan.and_then(|p| Some((p, p.lower()?))) else {
        return "your pain was about the same on the days after a massage as on other days".into();
    };
    let when = window_words(scan.window_first_day, scan.window_last_day);
    let (word, how) = if lower {
        ("lower", "below")
    } else {
        ("higher", "above")
    };
    format!(
        "your pain was {word} {when} (about {:.0}% {how} other days)",
        scan.change_percent.abs()
    )
}

/// Why "no clear difference" need not mean massage saves no painkillers, when pain was lower
/// after one: the doses are compared at the same pain, so pills saved *because* the pain
/// eased are the pain's share, not counted in the comparison. A person whose massages ease
/// the pain by 1.5 points for 4 days, and whose pills follow the pain, hears "no clear
/// difference" 94-96% of the time (`tests/insight_independent`, 2026-12-06): said, so the
/// answer is not read as "massage does nothing for your painkiller use".
fn eased_pain(pain: PainFound) -> &'static str {
    match pain.scan.and_then(LagScan::lower) {
        Some(true) => {
            // "If": the search shows that the pain was lower after a massage, not why (a
            // massage booked once a flare has passed is followed by better days anyway).
            " The doses are compared at the same pain, so if massage eases your pain, the \
             painkillers you need less because of it do not count here: they show as the \
             lower pain."
        }
        _ => "",
    }
}

/// The answer for an outcome that was the same on every logged day (`unchanging`).
fn same_every_day(amount: &str, pain: PainFound) -> (Verdict, String) {
    (
        Verdict::NoClearDifference,
        format!(
            "You took the same {amount} on every day you logged, with or without a massage, so \
             there is no difference to find; {}.",
            pain_words(pain)
        ),
    )
}

/// Why "no clear difference" is likelier for someone with a standing appointment: the
/// days after a massage are always the same weekdays, so the search cannot tell relief from
/// a weekly rhythm except by the weeks without one (a real drop of a third over 3 days is
/// found about half as often; measured on `family`). Said, so that the answer is not read
/// as "massage does nothing".
fn standing_appointment(scan: &LagScan) -> String {
    scan.usual_weekday.map_or(String::new(), |day| {
        format!(
            " Your massages were nearly all on a {}, so the days after them always fall on \
             the same days of the week: only the weeks without one can tell relief apart \
             from your usual weekly rhythm.",
            day.name()
        )
    })
}

/// What "no clear difference" is worth in this journal: how often records like it show a
/// real drop of a third over the 3 days after a massage (`chance_to_find_a_third_fewer`).
/// Without it, "no clear difference" in half a year of records, where such a drop shows
/// about half the time, reads like "massage does not help".
fn how_often_a_drop_shows(scan: &LagScan, what: &str) -> String {
    let Some(chance) = scan.chance_to_find_a_third_fewer else {
        return String::new();
    };
    let tens = (chance / 10.0).round();
    let often = if chance >= 95.0 {
        "nearly every time".to_string()
    } else if tens < 1.0 {
        "less than 1 time in 10".to_string()
    } else if tens == 1.0 {
        "about 1 time in 10".to_string()
    } else {
        format!("about {tens:.0} times in 10")
    };
    let then = if tens >= 8.0 {
        ""
    } else {
        ": more weeks with massages would make it clearer"
    };
    format!(
        " Had your {what} fallen by a third on the 3 days after each massage, records like \
         yours would show it {often}{then}."
    )
}

/// `x`, with whatever rounds to 0 at whole percents made +0: formatted, -0.3 and -0.0 read
/// "-0", which a sentence must not say.
fn unsigned_zero(x: f64) -> f64 {
    if x.abs() <= 0.5 {
        0.0
    } else {
        x
    }
}

fn judge(
    scan: Option<&LagScan>,
    what: &str,
    weeks_view: &WeekComparison,
    pain: PainFound,
    weeks: &[Week],
) -> (Verdict, String) {
    let Some(scan) = scan else {
        return (Verdict::NotEnoughData, missing(weeks_view, weeks));
    };
    let pain_words = pain_words(pain);
    let when = window_words(scan.window_first_day, scan.window_last_day);
    let days = when[..1].to_uppercase() + &when[1..];
    let (low, high) = (scan.ci95_low, scan.ci95_high);
    let change = scan.change_percent;
    let verdict = match scan.lower() {
        Some(true) => Verdict::LowerWithMassage,
        Some(false) => Verdict::HigherWithMassage,
        None => Verdict::NoClearDifference,
    };
    let likely = |a: f64, b: f64, word: &str| {
        format!(
            "likely between {:.0}% {word} and {:.0}% {word}",
            unsigned_zero(a.min(b)),
            unsigned_zero(a.max(b))
        )
    };
    let range = if low >= 0.0 {
        likely(low, high, "more")
    } else if high <= 0.0 {
        likely(-high, -low, "fewer")
    } else {
        format!(
            "likely between {:.0}% fewer and {:.0}% more",
            unsigned_zero(-low),
            unsigned_zero(high)
        )
    };
    let change = unsigned_zero(change);
    // The calibrated test can find a difference whose size the bootstrap cannot pin down
    // (its range crosses zero); the sentence then says so instead of a bare "fewer".
    let uncertain = if low < 0.0 && high > 0.0 {
        ", though how much is uncertain"
    } else {
        ""
    };
    // And the other way round: the range can lie clear of zero where the search, having
    // tried 30 windows, calls the difference chance; the sentence must not read as a finding.
    let chance = if low > 0.0 || high < 0.0 {
        ", though with 30 spans of days tried, one as clear turns up by chance too often to count"
    } else {
        ""
    };
    let summary = match verdict {
        Verdict::LowerWithMassage => format!(
            "{days} you took about {:.0}% fewer {what} than on other days with the same pain{uncertain} ({range}); {pain_words}.",
            -change
        ),
        Verdict::HigherWithMassage => format!(
            "{days} you took about {change:.0}% more {what} than on other days with the same pain{uncertain} ({range}); {pain_words}.",
        ),
        _ => format!(
            "In your records there is no clear difference in {what} on the days after a massage, compared with other days with the same pain (the closest: {when} {change:+.0}%, {range}{chance}); {pain_words}.{}{}{}",
            eased_pain(pain),
            standing_appointment(scan),
            how_often_a_drop_shows(scan, what)
        ),
    };
    (verdict, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A search result whose change has the one-sided p-value `p` in its own direction.
    fn scan(change: f64, low: f64, high: f64, p: f64) -> LagScan {
        LagScan {
            sessions: 12,
            days_used: 180,
            window_first_day: 1,
            window_last_day: 3,
            change_percent: change,
            ci95_low: low,
            ci95_high: high,
            p_lower: if change < 0.0 { p } else { 1.0 },
            p_higher: if change < 0.0 { 1.0 } else { p },
            alpha_lower: lag_scan::ALPHA_LOWER,
            alpha_higher: lag_scan::ALPHA_HIGHER,
            shifts: 199,
            profile: Vec::new(),
            usual_weekday: None,
            chance_to_find_a_third_fewer: None,
        }
    }

    fn searched(pain: &LagScan) -> PainFound<'_> {
        PainFound {
            scan: Some(pain),
            too_early: false,
        }
    }

    /// The verdict and sentence for `scan`, with no week-level comparisons to add.
    fn judged(scan: &LagScan, what: &str) -> (Verdict, String) {
        judge(Some(scan), what, &no_weeks(), PainFound::default(), &[])
    }

    fn no_weeks() -> WeekComparison {
        WeekComparison {
            weeks_with_massage: 10,
            weeks_without_massage: 10,
            mean_with_massage: None,
            mean_without_massage: None,
            change_percent: None,
            ci95_low: None,
            ci95_high: None,
            p_value: None,
        }
    }

    /// `length` days of a fixed regimen: pain that varies, two NSAID tablets and one 20-MME
    /// long-acting opioid every day, a massage every Wednesday; with `changed_day`, one day
    /// has a third tablet.
    fn fixed_regimen(length: i64, changed_day: Option<i64>) -> Analysis {
        use crate::insight::series::{daily, weekly, DoseObservation, Journal, PainObservation};
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let mut journal = Journal::default();
        for d in 0..length {
            let date = start + chrono::Duration::days(d);
            journal.pain.push(PainObservation {
                date,
                intensity: 4 + (d * 7 % 5) as i32,
                back_pain: None,
                leg_pain: None,
            });
            let tablets = if changed_day == Some(d) { 3 } else { 2 };
            for _ in 0..tablets {
                journal.doses.push(DoseObservation {
                    date,
                    drug_class: "nsaid".into(),
                    mme: None,
                    mme_days: 1,
                });
            }
            journal.doses.push(DoseObservation {
                date,
                drug_class: "opioid".into(),
                mme: Some(20.0),
                mme_days: 1,
            });
            if d % 7 == 2 {
                journal.massages.push(date);
            }
        }
        let days = daily(&journal, None, None);
        analyse(&days, &weekly(&days), &Params::default())
    }

    #[test]
    fn a_fixed_regimen_is_answered_not_sent_back_for_more_data() {
        // The same doses every day for half a year is an answer (nothing changed after
        // massages), not "not enough data yet: log every day", which this person did.
        let fixed = fixed_regimen(182, None);
        assert_eq!(fixed.verdict, Verdict::NoClearDifference);
        assert!(
            fixed.summary.starts_with(
                "You took the same number of painkiller doses (3 a day) on every day you logged, \
                 with or without a massage, so there is no difference to find; your pain was"
            ),
            "{}",
            fixed.summary
        );
        assert_eq!(fixed.opioid_verdict, Some(Verdict::NoClearDifference));
        let opioid = fixed.opioid_summary.unwrap();
        assert!(
            opioid.starts_with("You took the same opioid dose (20 MME a day) on every day"),
            "{opioid}"
        );
        // One day differs: the doses go to the search again, the opioid stays fixed.
        let changed = fixed_regimen(182, Some(40));
        assert!(
            changed.painkiller_doses.days_after_massage.is_some(),
            "{}",
            changed.summary
        );
        assert!(
            changed.summary.starts_with("In your records"),
            "{}",
            changed.summary
        );
        assert!(changed
            .opioid_summary
            .unwrap()
            .starts_with("You took the same opioid dose"));
        // Too short a journal is still "not enough data", fixed regimen or not.
        let short = fixed_regimen(42, None);
        assert_eq!(short.verdict, Verdict::NotEnoughData);
        assert_eq!(short.opioid_verdict, Some(Verdict::NotEnoughData));
    }

    #[test]
    fn pain_is_not_compared_over_less_than_12_weeks() {
        // Ten weeks: the doses get an answer, the pain search would not be calibrated (8% of
        // two-month journals called pain lower or higher where 4% is meant), so the sentence
        // says when it will be compared instead of "about the same".
        let ten_weeks = fixed_regimen(70, None);
        assert_eq!(ten_weeks.verdict, Verdict::NoClearDifference);
        assert!(ten_weeks.pain.days_after_massage.is_none());
        assert!(
            ten_weeks.summary.ends_with(
                "no difference to find; your pain on the days after a massage is compared with \
                 other days over 12 weeks or more."
            ),
            "{}",
            ten_weeks.summary
        );
        let twelve_weeks = fixed_regimen(84, None);
        assert!(twelve_weeks.pain.days_after_massage.is_some());
        assert!(
            twelve_weeks.summary.contains("; your pain was"),
            "{}",
            twelve_weeks.summary
        );
        // The doctor's report and the shared summary cover 90 days up to today, and the
        // series ends at the last entry: without one today, or for the last few days, they
        // hold 85-89 days. A gate of 90 days (tried 2026-12-07) took their pain comparison
        // away; the shared page of the README's demo journal read "compared with other days
        // over 90 days or more".
        for days in 85..=89 {
            assert!(
                fixed_regimen(days, None).pain.days_after_massage.is_some(),
                "{days}"
            );
        }
    }

    #[test]
    fn the_sentence_reads_the_numbers_as_they_are() {
        let sure = judged(&scan(-30.0, -41.0, -18.0, 0.01), "painkiller doses");
        assert_eq!(sure.0, Verdict::LowerWithMassage);
        assert_eq!(
            sure.1,
            "On days 1–3 after a massage you took about 30% fewer painkiller doses than on other \
             days with the same pain (likely between 18% fewer and 41% fewer); your pain was about \
             the same on the days after a massage as on other days."
        );
        // A calibrated difference whose size the interval cannot pin down says so.
        let unsure = judged(&scan(-73.0, -89.0, 219.0, 0.03), "opioid (MME)");
        assert_eq!(unsure.0, Verdict::LowerWithMassage);
        assert!(
            unsure.1.contains("73% fewer opioid (MME) than on other days with the same pain, though how much is uncertain (likely between 89% fewer and 219% more)"),
            "{}",
            unsure.1
        );
        let none = judged(&scan(-20.0, -45.0, 10.0, 0.3), "painkiller doses");
        assert_eq!(none.0, Verdict::NoClearDifference);
        assert!(
            none.1
                .starts_with("In your records there is no clear difference"),
            "{}",
            none.1
        );
        // "No clear difference" says what it is worth in these records.
        let told = |chance| {
            let mut scan = scan(-20.0, -45.0, 10.0, 0.3);
            scan.chance_to_find_a_third_fewer = chance;
            judged(&scan, "painkiller doses").1
        };
        assert!(
            told(Some(53.4)).ends_with(
                " Had your painkiller doses fallen by a third on the 3 days after each massage, \
                 records like yours would show it about 5 times in 10: more weeks with massages \
                 would make it clearer."
            ),
            "{}",
            told(Some(53.4))
        );
        assert!(told(Some(84.0)).ends_with("would show it about 8 times in 10."));
        assert!(told(Some(96.0)).ends_with("would show it nearly every time."));
        assert!(told(Some(3.0)).contains("would show it less than 1 time in 10: more weeks"));
        // Seen in the doctor's PDF: "about 1 times in 10".
        assert!(told(Some(11.0)).contains("would show it about 1 time in 10: more weeks"));
        assert!(!told(None).contains("Had your"));
        // Only "no clear difference" needs it.
        let mut found = scan(-30.0, -41.0, -18.0, 0.01);
        found.chance_to_find_a_third_fewer = Some(53.4);
        assert!(!judged(&found, "painkiller doses").1.contains("Had your"));
        // A rise must be clearer than a drop to be reported (1% against 4%).
        let rise = |p| judged(&scan(25.0, 5.0, 40.0, p), "painkiller doses").0;
        assert_eq!(rise(0.03), Verdict::NoClearDifference);
        assert_eq!(rise(0.008), Verdict::HigherWithMassage);
    }

    #[test]
    fn a_change_that_rounds_to_nothing_reads_as_0_percent_not_minus_0() {
        // -0.3% is shown as "-0%" by `{:+.0}`, and a range ending at -0.0 as "-0% fewer".
        let tiny = judged(&scan(-0.3, -25.0, 20.0, 0.5), "painkiller doses").1;
        assert!(
            tiny.contains("after a massage +0%, likely between"),
            "{tiny}"
        );
        let edge = judged(&scan(-12.0, -30.0, -0.0, 0.5), "painkiller doses").1;
        assert!(
            edge.contains("likely between 0% fewer and 30% fewer"),
            "{edge}"
        );
        for sentence in [tiny, edge] {
            assert!(!sentence.contains("-0"), "{sentence}");
        }
    }

    #[test]
    fn windows_read_as_days() {
        assert_eq!(window_words(0, 0), "on the day of a massage");
        // Not "to 1 days after", which the doctor's PDF once printed.
        assert_eq!(
            window_words(0, 1),
            "on the day of a massage and the day after"
        );
        assert_eq!(
            window_words(0, 3),
            "from the day of a massage to 3 days after"
        );
        assert_eq!(window_words(2, 2), "on day 2 after a massage");
        assert_eq!(window_words(1, 4), "on days 1–4 after a massage");
    }

    #[test]
    fn a_range_clear_of_zero_without_a_finding_is_called_chance() {
        // Seen in the doctor's PDF of a 13-week rescue-opioid journal: "no clear difference
        // (the closest: … +119%, likely between 23% more and 873% more)" read as a finding.
        let (verdict, summary) = judged(&scan(119.0, 23.0, 873.0, 0.2), "opioid (MME)");
        assert_eq!(verdict, Verdict::NoClearDifference);
        assert!(
            summary.contains(
                "+119%, likely between 23% more and 873% more, though with 30 spans of days \
                 tried, one as clear turns up by chance too often to count);"
            ),
            "{summary}"
        );
        let (_, summary) = judged(&scan(-40.0, -60.0, -5.0, 0.06), "painkiller doses");
        assert!(
            summary.contains("likely between 5% fewer and 60% fewer, though with 30 spans"),
            "{summary}"
        );
        // A range across zero needs no such words.
        let (_, summary) = judged(&scan(-12.0, -35.0, 15.0, 0.3), "painkiller doses");
        assert!(!summary.contains("by chance"), "{summary}");
    }

    #[test]
    fn no_clear_difference_at_the_same_pain_says_where_eased_pain_shows() {
        // Pills that fall because massage eases the pain are the pain's share: compared at
        // the same pain they are no difference, and the sentence must not read as "massage
        // saves you no painkillers" when the pain was clearly lower.
        let eased = LagScan {
            window_first_day: 1,
            window_last_day: 4,
            alpha_lower: lag_scan::ALPHA_PAIN,
            alpha_higher: lag_scan::ALPHA_PAIN,
            ..scan(-18.4, -27.0, -8.0, 0.02)
        };
        let unclear = scan(-12.0, -35.0, 15.0, 0.3);
        let (verdict, summary) = judge(
            Some(&unclear),
            "painkiller doses",
            &no_weeks(),
            searched(&eased),
            &[],
        );
        assert_eq!(verdict, Verdict::NoClearDifference);
        assert!(
            summary.starts_with(
                "In your records there is no clear difference in painkiller doses on the days \
                 after a massage, compared with other days with the same pain (the closest: on \
                 days 1–3 after a massage -12%"
            ),
            "{summary}"
        );
        assert!(
            summary.ends_with(
                "your pain was lower on days 1–4 after a massage (about 18% below other days). \
                 The doses are compared at the same pain, so if massage eases your pain, the \
                 painkillers you need less because of it do not count here: they show as the \
                 lower pain."
            ),
            "{summary}"
        );
        // Pain is held to 2.5% each way: a p-value that would make pills "lower" does not.
        let faint = LagScan {
            p_lower: 0.035,
            ..eased.clone()
        };
        let unsure = judge(
            Some(&unclear),
            "painkiller doses",
            &no_weeks(),
            searched(&faint),
            &[],
        );
        assert!(
            unsure.1.contains(
                "your pain was about the same on the days after a massage as on other days."
            ),
            "{}",
            unsure.1
        );
        assert!(!unsure.1.contains("eases"), "{}", unsure.1);
        // Higher pain after massages (booked when it flares) is said as it is, with no note.
        let flares = LagScan {
            change_percent: 21.0,
            p_lower: 1.0,
            p_higher: 0.001,
            window_first_day: 0,
            window_last_day: 2,
            ..eased.clone()
        };
        let higher = judge(
            Some(&unclear),
            "painkiller doses",
            &no_weeks(),
            searched(&flares),
            &[],
        )
        .1;
        assert!(
            higher.ends_with(
                "your pain was higher from the day of a massage to 2 days after (about 21% above \
                 other days)."
            ),
            "{higher}"
        );
        // Without lower pain there is nothing to point at; a drop found needs no note either.
        let plain = judged(&unclear, "painkiller doses").1;
        assert!(!plain.contains("eases"), "{plain}");
        let found = judge(
            Some(&scan(-30.0, -41.0, -18.0, 0.01)),
            "painkiller doses",
            &no_weeks(),
            searched(&eased),
            &[],
        );
        assert_eq!(found.0, Verdict::LowerWithMassage);
        assert!(!found.1.contains("eases"), "{}", found.1);
    }

    #[test]
    fn a_standing_appointment_is_named_when_it_explains_no_clear_difference() {
        use crate::insight::lag_scan::SessionWeekday;
        let saturdays = |change, low, high, p| LagScan {
            usual_weekday: Some(SessionWeekday::Saturday),
            ..scan(change, low, high, p)
        };
        let none = judged(&saturdays(-20.0, -45.0, 10.0, 0.3), "painkiller doses");
        assert_eq!(none.0, Verdict::NoClearDifference);
        assert!(
            none.1.ends_with(
                "as on other days. Your massages were nearly all on a Saturday, so the days \
                 after them always fall on the same days of the week: only the weeks without \
                 one can tell relief apart from your usual weekly rhythm."
            ),
            "{}",
            none.1
        );
        // A drop found despite it needs no excuse: the search allowed for the rhythm.
        let found = judged(&saturdays(-30.0, -41.0, -18.0, 0.01), "painkiller doses");
        assert_eq!(found.0, Verdict::LowerWithMassage);
        assert!(!found.1.contains("Saturday"), "{}", found.1);
    }
}
