//! Daily and ISO-weekly series of one person's journal, in their local days.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

/// A day counts as "after a massage" when a session took place on one of the 7 days before.
pub const EXPOSURE_DAYS: i64 = 7;

#[derive(Debug, Clone)]
pub struct PainObservation {
    pub date: NaiveDate,
    pub intensity: i32,
    pub back_pain: Option<i32>,
    pub leg_pain: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct DoseObservation {
    pub date: NaiveDate,
    /// `opioid`, `nsaid`, … (the medication's class).
    pub drug_class: String,
    /// Total MME of the intake (a fentanyl patch: its 3 days of wear).
    pub mme: Option<f64>,
    /// MME spread over this many days from `date` (3 for a patch, else 1).
    pub mme_days: i64,
}

/// What the series are made from, already in the user's local days.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pub pain: Vec<PainObservation>,
    pub doses: Vec<DoseObservation>,
    pub massages: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Day {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub pain_mean: Option<f64>,
    pub pain_max: Option<f64>,
    pub back_pain_mean: Option<f64>,
    pub leg_pain_mean: Option<f64>,
    /// Painkiller intakes logged that day (all classes).
    pub doses: f64,
    pub doses_by_class: BTreeMap<String, f64>,
    pub opioid_mme: f64,
    pub massage_sessions: u32,
    /// A massage took place on one of the 7 days before.
    pub after_massage: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Week {
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    #[schema(value_type = String, format = Date)]
    pub starts: NaiveDate,
    /// Days of this week inside the journal's span.
    pub days: u32,
    pub pain_mean: Option<f64>,
    pub pain_max: Option<f64>,
    pub back_pain_mean: Option<f64>,
    pub leg_pain_mean: Option<f64>,
    pub doses_per_day: f64,
    pub doses_per_day_by_class: BTreeMap<String, f64>,
    pub opioid_mme_per_day: f64,
    pub massage_sessions: u32,
    /// Share of the week's days that came after a massage (0–1).
    pub massage_exposure: f64,
}

fn mean(values: &[f64]) -> Option<f64> {
    crate::insight::stats::mean(values)
}

/// The longest span the series covers: the most recent five years of the range asked for.
/// One entry dated decades back must not make every insight request walk (and answer) tens
/// of thousands of days.
pub const MAX_SPAN_DAYS: i64 = 5 * 365 + 2;

/// One point per day from the first to the last recorded day (within `from`..=`to`, and at
/// most the last [`MAX_SPAN_DAYS`] of it). Days without intakes count as days without
/// painkillers: the journal is assumed complete between its first and last entry.
pub fn daily(journal: &Journal, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<Day> {
    let dates = journal
        .pain
        .iter()
        .map(|p| p.date)
        .chain(journal.doses.iter().map(|d| d.date))
        .chain(journal.massages.iter().copied());
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
        return Vec::new();
    };
    let first = from.map_or(first, |f| f.max(first));
    let last = to.map_or(last, |t| t.min(last));
    let first = first.max(last - Duration::days(MAX_SPAN_DAYS - 1));
    if first > last {
        return Vec::new();
    }
    let length = (last - first).num_days() as usize + 1;
    let index = |date: NaiveDate| -> Option<usize> {
        let offset = (date - first).num_days();
        (0..length as i64)
            .contains(&offset)
            .then_some(offset as usize)
    };
    let mut pains: Vec<Vec<&PainObservation>> = vec![Vec::new(); length];
    for p in &journal.pain {
        if let Some(i) = index(p.date) {
            pains[i].push(p);
        }
    }
    let mut days: Vec<Day> = (0..length)
        .map(|i| {
            let obs = &pains[i];
            let intensities: Vec<f64> = obs.iter().map(|p| f64::from(p.intensity)).collect();
            let backs: Vec<f64> = obs
                .iter()
                .filter_map(|p| p.back_pain.map(f64::from))
                .collect();
            let legs: Vec<f64> = obs
                .iter()
                .filter_map(|p| p.leg_pain.map(f64::from))
                .collect();
            Day {
                date: first + Duration::days(i as i64),
                pain_mean: mean(&intensities),
                pain_max: intensities.iter().copied().reduce(f64::max),
                back_pain_mean: mean(&backs),
                leg_pain_mean: mean(&legs),
                doses: 0.0,
                doses_by_class: BTreeMap::new(),
                opioid_mme: 0.0,
                massage_sessions: 0,
                after_massage: false,
            }
        })
        .collect();
    for dose in &journal.doses {
        if let Some(i) = index(dose.date) {
            days[i].doses += 1.0;
            *days[i]
                .doses_by_class
                .entry(dose.drug_class.clone())
                .or_default() += 1.0;
        }
        if let Some(mme) = dose.mme {
            let spread = dose.mme_days.max(1);
            for k in 0..spread {
                if let Some(i) = index(dose.date + Duration::days(k)) {
                    days[i].opioid_mme += mme / spread as f64;
                }
            }
        }
    }
    for &date in &journal.massages {
        if let Some(i) = index(date) {
            days[i].massage_sessions += 1;
        }
        for k in 1..=EXPOSURE_DAYS {
            if let Some(i) = index(date + Duration::days(k)) {
                days[i].after_massage = true;
            }
        }
    }
    days
}

/// ISO weeks (Monday to Sunday) of the daily series; per-day values are means over the days
/// of the week inside the span.
pub fn weekly(days: &[Day]) -> Vec<Week> {
    let mut weeks: Vec<Week> = Vec::new();
    let mut chunk: Vec<&Day> = Vec::new();
    let flush = |chunk: &mut Vec<&Day>, weeks: &mut Vec<Week>| {
        let Some(first) = chunk.first() else {
            return;
        };
        let iso = first.date.iso_week();
        let n = chunk.len() as f64;
        let pains: Vec<f64> = chunk.iter().filter_map(|d| d.pain_mean).collect();
        let maxes: Vec<f64> = chunk.iter().filter_map(|d| d.pain_max).collect();
        let backs: Vec<f64> = chunk.iter().filter_map(|d| d.back_pain_mean).collect();
        let legs: Vec<f64> = chunk.iter().filter_map(|d| d.leg_pain_mean).collect();
        let mut by_class: BTreeMap<String, f64> = BTreeMap::new();
        for day in chunk.iter() {
            for (class, count) in &day.doses_by_class {
                *by_class.entry(class.clone()).or_default() += count / n;
            }
        }
        weeks.push(Week {
            week: format!("{}-W{:02}", iso.year(), iso.week()),
            starts: first.date
                - Duration::days(i64::from(first.date.weekday().num_days_from_monday())),
            days: chunk.len() as u32,
            pain_mean: mean(&pains),
            pain_max: maxes.iter().copied().reduce(f64::max),
            back_pain_mean: mean(&backs),
            leg_pain_mean: mean(&legs),
            doses_per_day: chunk.iter().map(|d| d.doses).sum::<f64>() / n,
            doses_per_day_by_class: by_class,
            opioid_mme_per_day: chunk.iter().map(|d| d.opioid_mme).sum::<f64>() / n,
            massage_sessions: chunk.iter().map(|d| d.massage_sessions).sum(),
            massage_exposure: chunk.iter().filter(|d| d.after_massage).count() as f64 / n,
        });
        chunk.clear();
    };
    for day in days {
        if let Some(previous) = chunk.last() {
            if previous.date.iso_week() != day.date.iso_week() {
                flush(&mut chunk, &mut weeks);
            }
        }
        chunk.push(day);
    }
    flush(&mut chunk, &mut weeks);
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_fill_the_span_and_spread_patches() {
        let journal = Journal {
            pain: vec![PainObservation {
                date: date("2026-11-23"),
                intensity: 6,
                back_pain: Some(4),
                leg_pain: None,
            }],
            doses: vec![DoseObservation {
                date: date("2026-11-24"),
                drug_class: "opioid".into(),
                mme: Some(180.0),
                mme_days: 3,
            }],
            massages: vec![date("2026-11-29")],
        };
        let days = daily(&journal, None, None);
        assert_eq!(days.len(), 7);
        assert_eq!(days[1].doses, 1.0);
        assert_eq!(days[1].opioid_mme, 60.0);
        assert_eq!(days[3].opioid_mme, 60.0);
        assert_eq!(days[4].opioid_mme, 0.0);
        assert!(!days[6].after_massage);
        let weeks = weekly(&days);
        assert_eq!(weeks.len(), 1);
        assert_eq!(weeks[0].week, "2026-W48");
        assert_eq!(weeks[0].massage_sessions, 1);
        assert!((weeks[0].opioid_mme_per_day - 180.0 / 7.0).abs() < 1e-9);
    }
}
