//! The doctor's report: what goes on the page, gathered from the patient's own journal and
//! insight for a period, then laid out by `pdf` with the `doctor.typ` template.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use std::sync::Arc;

use super::export::read_table;
use super::{chart, pdf, Period, PeriodParams};
use crate::db::journal::ListFilter;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::insight::analysis::Verdict;
use crate::insight::load;
use crate::insight::series::{daily, Journal, Week};
use crate::journal::check_ins::CheckIns;
use crate::journal::massage_sessions::MassageSessions;
use crate::journal::medication_intakes::MedicationIntakes;
use crate::journal::medications::Medications;
use crate::state::AppState;

const TEMPLATE: &str = include_str!("doctor.typ");
/// Weeks in the weekly table: the most recent ones (a year would not fit the page).
const TABLE_WEEKS: usize = 16;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    fn typst_name(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::Letter => "us-letter",
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DoctorParams {
    /// First local day, `YYYY-MM-DD` (default: 89 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: today in the user's time zone).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// `a4` (default) or `letter`.
    #[param(inline)]
    pub paper: Option<Paper>,
}

fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::LowerWithMassage => "Fewer painkillers after massage",
        Verdict::NoClearDifference => "No clear difference",
        Verdict::HigherWithMassage => "More painkillers after massage",
        Verdict::NotEnoughData => "Not enough data yet",
    }
}

fn day_words(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.1}"))
}

/// A rate as a person reads it: two decimals below 1 (0.02 doses a day is not "0.0").
fn rate(value: f64) -> String {
    if value.abs() < 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

fn text_of(row: &Value, field: &str) -> Option<String> {
    row.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn date_of(row: &Value) -> Option<NaiveDate> {
    text_of(row, "local_date").and_then(|d| d.parse().ok())
}

/// Per medication: name, class, intakes, intakes per day, MME per day (opioids), and the
/// change from the period's first 30 days to its last 30 (when it holds 60 or more).
fn medications(period: &Period, meds: &[Value], intakes: &[Value]) -> Vec<MedicationLine> {
    let days = period.days().max(1) as f64;
    let month = |first: bool, date: NaiveDate| {
        if first {
            date < period.from + Duration::days(30)
        } else {
            date > period.to - Duration::days(30)
        }
    };
    let mut by_medication: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for intake in intakes {
        if let Some(id) = text_of(intake, "medication_id") {
            by_medication.entry(id).or_default().push(intake);
        }
    }
    let mut rows: Vec<MedicationLine> = by_medication
        .into_iter()
        .map(|(id, taken)| {
            let med = meds
                .iter()
                .find(|m| text_of(m, "id").as_deref() == Some(&id));
            let class = med
                .and_then(|m| text_of(m, "drug_class"))
                .unwrap_or_default();
            let name = med.and_then(|m| text_of(m, "name")).unwrap_or(id);
            let mme: f64 = taken.iter().filter_map(|i| i["mme"].as_f64()).sum();
            let in_month = |first: bool| {
                taken
                    .iter()
                    .filter(|i| date_of(i).is_some_and(|d| month(first, d)))
                    .count() as f64
                    / 30.0
            };
            let change = if period.days() >= 60 {
                format!("{} → {}", rate(in_month(true)), rate(in_month(false)))
            } else {
                "–".into()
            };
            MedicationLine {
                doses: taken.len().to_string(),
                per_day: rate(taken.len() as f64 / days),
                mme_per_day: if class == "opioid" {
                    rate(mme / days)
                } else {
                    "–".into()
                },
                change,
                name,
                class,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// Sessions: how many, which kinds, with whom, and pain before → after on average.
fn massage_summary(sessions: &[Value]) -> String {
    if sessions.is_empty() {
        return "No massage sessions in this period.".into();
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut therapists: Vec<String> = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for s in sessions {
        let kind = text_of(s, "kind").unwrap_or_default().replace('_', " ");
        *kinds.entry(kind).or_default() += 1;
        if let Some(t) = text_of(s, "therapist") {
            if !therapists.contains(&t) {
                therapists.push(t);
            }
        }
        if let (Some(b), Some(a)) = (s["pain_before"].as_f64(), s["pain_after"].as_f64()) {
            before.push(b);
            after.push(a);
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let mut text = format!("{} sessions ({}).", sessions.len(), kinds.join(", "));
    if !therapists.is_empty() {
        therapists.sort();
        text.push_str(&format!(" Therapists: {}.", therapists.join(", ")));
    }
    let mean = crate::insight::stats::mean;
    if let (Some(b), Some(a)) = (mean(&before), mean(&after)) {
        text.push_str(&format!(
            " Pain before → after a session: {b:.1} → {a:.1} (average of {}).",
            before.len()
        ));
    }
    text
}

/// The latest PEG and Oswestry scores of the period.
fn latest_scores(check_ins: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, label, unit) in [
        ("peg", "PEG (0–10)", ""),
        ("odi", "Oswestry disability", "%"),
    ] {
        // The rows come newest first.
        if let Some(latest) = check_ins.iter().find(|c| c["kind"] == kind) {
            let date = date_of(latest).map(day_words).unwrap_or_default();
            let score = latest["score"].as_f64().unwrap_or(f64::NAN);
            out.push(format!("{label}: {score:.1}{unit} on {date}"));
        }
    }
    out
}

fn weeks(weekly: &[Week]) -> Vec<WeekLine> {
    let skip = weekly.len().saturating_sub(TABLE_WEEKS);
    weekly[skip..]
        .iter()
        .map(|w| WeekLine {
            week: w.week.clone(),
            pain: one_decimal(w.pain_mean),
            doses: rate(w.doses_per_day),
            mme: rate(w.opioid_mme_per_day),
        })
        .collect()
}

/// What the report says, as text ready to print: the PDF template reads it as JSON, the
/// share page (`share::page`) shows the same.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub app: &'static str,
    pub paper: &'static str,
    pub patient: String,
    pub period: String,
    pub made: String,
    /// Empty when there is not enough data (the summary says so).
    pub verdict: &'static str,
    pub summary: String,
    pub opioid_summary: Option<String>,
    pub medications: Vec<MedicationLine>,
    pub massage: String,
    pub scores: Vec<String>,
    pub weeks: Vec<WeekLine>,
    pub weeks_note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MedicationLine {
    pub name: String,
    pub class: String,
    pub doses: String,
    pub per_day: String,
    pub mme_per_day: String,
    pub change: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekLine {
    pub week: String,
    pub pain: String,
    pub doses: String,
    pub mme: String,
}

/// What the page is made from, read in one snapshot: the profile, the period, the journal
/// for the chart and the insight, and the rows the tables summarise (pain entries are in
/// the journal already).
pub struct Snapshot {
    profile: crate::auth::accounts::Profile,
    period: Period,
    journal: Journal,
    medications: Vec<Value>,
    intakes: Vec<Value>,
    sessions: Vec<Value>,
    check_ins: Vec<Value>,
}

pub fn read_snapshot(
    conn: &mut DbConn,
    user_id: &UserId,
    params: &PeriodParams,
) -> Result<Snapshot, ApiError> {
    let (profile, period, journal) = load::read_report(conn, user_id, params)?;
    let filter = ListFilter {
        from: Some(period.from),
        to: Some(period.to),
        before: None,
    };
    Ok(Snapshot {
        profile,
        period,
        journal,
        medications: read_table::<Medications>(conn, user_id, &ListFilter::default())?,
        intakes: read_table::<MedicationIntakes>(conn, user_id, &filter)?,
        sessions: read_table::<MassageSessions>(conn, user_id, &filter)?,
        check_ins: read_table::<CheckIns>(conn, user_id, &filter)?,
    })
}

/// The report's text and chart from a snapshot: the analysis and the chart are CPU work,
/// independent of each other, so they run at once (one core each).
pub async fn compose(snapshot: Snapshot, paper: Paper) -> Result<(ReportData, String), ApiError> {
    let snapshot = Arc::new(snapshot);
    let for_insight = Arc::clone(&snapshot);
    let insight = tokio::task::spawn_blocking(move || {
        load::effect_of(&for_insight.journal, load::DEFAULT_WINDOW_DAYS)
    });
    let for_chart = Arc::clone(&snapshot);
    let svg = tokio::task::spawn_blocking(move || {
        let period = for_chart.period;
        let days = daily(&for_chart.journal, Some(period.from), Some(period.to));
        chart::render(&period, &days)
    });
    let insight = insight.await.map_err(ApiError::internal)?;
    let svg = svg
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let Snapshot {
        profile, period, ..
    } = &*snapshot;
    let analysis = &insight.analysis;
    // "Not enough data yet: …" already says its verdict.
    let verdict = match analysis.verdict {
        Verdict::NotEnoughData => "",
        other => verdict_words(other),
    };
    let weeks_note = if insight.weekly.len() > TABLE_WEEKS {
        format!("last {TABLE_WEEKS} of {}", insight.weekly.len())
    } else {
        String::new()
    };
    let data = ReportData {
        app: "Pain Journal",
        paper: paper.typst_name(),
        patient: profile
            .display_name
            .clone()
            .unwrap_or_else(|| "Patient".into()),
        period: format!("{} – {}", day_words(period.from), day_words(period.to)),
        made: day_words(chrono::Utc::now().date_naive()),
        verdict,
        summary: analysis.summary.clone(),
        opioid_summary: analysis.opioid_summary.clone(),
        medications: medications(period, &snapshot.medications, &snapshot.intakes),
        massage: massage_summary(&snapshot.sessions),
        scores: latest_scores(&snapshot.check_ins),
        weeks: weeks(&insight.weekly),
        weeks_note,
    };
    Ok((data, svg))
}

/// The report as PDF bytes.
pub async fn report(
    state: &AppState,
    user_id: UserId,
    params: DoctorParams,
) -> Result<Vec<u8>, ApiError> {
    render_from(state, params, move |conn, period| {
        conn.read_transaction(|conn| read_snapshot(conn, &user_id, period))
    })
    .await
}

/// The report of a patient whose journal `read` reads (with [`read_snapshot`]) in the
/// transaction it chooses: a clinician's read also checks the grant and logs the look.
pub async fn render_from<F>(
    state: &AppState,
    params: DoctorParams,
    read: F,
) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce(&mut DbConn, &PeriodParams) -> Result<Snapshot, ApiError> + Send + 'static,
{
    let paper = params.paper.unwrap_or_default();
    let period_params = PeriodParams {
        from: params.from,
        to: params.to,
    };
    let snapshot = state.db(move |conn| read(conn, &period_params)).await?;
    let (data, svg) = compose(snapshot, paper).await?;
    let data = serde_json::to_vec(&data).map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        pdf::render(
            TEMPLATE,
            vec![("data.json", data), ("chart.svg", svg.into_bytes())],
        )
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}
