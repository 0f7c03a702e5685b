//! Reads one user's journal for the insight, in one snapshot, and answers the reports.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analysis::{analyse, Analysis, Params};
use super::series::{daily, weekly, Day, DoseObservation, Journal, PainObservation, Week};
use crate::db::journal::{
    massage_sessions, medication_intakes, medications, pain_entries, ListFilter,
};
use crate::db::DbConn;
use crate::domain::journal::Opioid;
use crate::domain::mme::PATCH_WEAR_DAYS;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;

/// More rows than any journal holds (15 years of heavy use); bounds one read.
const MAX_ROWS: i64 = 200_000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InsightParams {
    /// First local day, `YYYY-MM-DD` (default: the first entry).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: the last entry); before `from`: no days.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Days before and after each session compared (default 3).
    #[param(minimum = 1, maximum = 14)]
    pub window_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WeeklyParams {
    /// First local day, `YYYY-MM-DD` (default: the first entry).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: the last entry); before `from`: no weeks.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MassageEffect {
    #[serde(flatten)]
    pub analysis: Analysis,
    pub daily: Vec<Day>,
    pub weekly: Vec<Week>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklySeries {
    pub weeks: Vec<Week>,
}

pub(crate) struct Range {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The days asked for; `from` after `to` is a valid, empty range.
pub(crate) fn parse_range(from: &Option<String>, to: &Option<String>) -> Result<Range, ApiError> {
    Ok(Range {
        from: crate::reports::optional_date(from, "from")?,
        to: crate::reports::optional_date(to, "to")?,
    })
}

pub(crate) fn read_journal(
    conn: &mut DbConn,
    user_id: &UserId,
    range: &Range,
) -> Result<Journal, ApiError> {
    let filter = ListFilter {
        from: range.from,
        to: range.to,
        before: None,
    };
    let pain = pain_entries::list(conn, user_id, &filter, MAX_ROWS)?;
    let intakes = medication_intakes::list(conn, user_id, &filter, MAX_ROWS)?;
    let massages = massage_sessions::list(conn, user_id, &filter, MAX_ROWS)?;
    let mut medication_ids: Vec<String> = intakes.iter().map(|i| i.medication_id.clone()).collect();
    medication_ids.sort();
    medication_ids.dedup();
    let meds: HashMap<String, medications::MedicationRow> =
        medications::find_many(conn, user_id, &medication_ids)?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
    Ok(Journal {
        pain: pain
            .into_iter()
            .map(|p| PainObservation {
                date: p.local_date,
                intensity: p.intensity,
                back_pain: p.back_pain,
                leg_pain: p.leg_pain,
            })
            .collect(),
        doses: intakes
            .into_iter()
            .map(|i| {
                let med = meds.get(&i.medication_id);
                let patch =
                    med.and_then(|m| m.opioid.as_deref()) == Some(Opioid::FentanylPatch.as_str());
                DoseObservation {
                    date: i.local_date,
                    drug_class: med.map_or_else(|| "other".to_owned(), |m| m.drug_class.clone()),
                    mme: i.mme,
                    mme_days: if patch { PATCH_WEAR_DAYS as i64 } else { 1 },
                }
            })
            .collect(),
        massages: massages.into_iter().map(|m| m.local_date).collect(),
    })
}

async fn series(
    state: &AppState,
    user_id: UserId,
    range: Range,
) -> Result<(Vec<Day>, Vec<Week>), ApiError> {
    let journal = state
        .db(move |conn| conn.read_transaction(|conn| read_journal(conn, &user_id, &range)))
        .await?;
    let days = daily(&journal, None, None);
    let weeks = weekly(&days);
    Ok((days, weeks))
}

pub async fn massage_effect(
    state: &AppState,
    user_id: UserId,
    params: InsightParams,
) -> Result<MassageEffect, ApiError> {
    let range = parse_range(&params.from, &params.to)?;
    let window_days = window_days(params.window_days)?;
    let journal = state
        .db(move |conn| conn.read_transaction(|conn| read_journal(conn, &user_id, &range)))
        .await?;
    // The analysis is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || effect_of(&journal, window_days))
        .await
        .map_err(ApiError::internal)
}

/// The days compared before and after each session, as asked (1–14) or by default.
pub fn window_days(asked: Option<i64>) -> Result<i64, ApiError> {
    let days = asked.unwrap_or(DEFAULT_WINDOW_DAYS);
    if (1..=14).contains(&days) {
        Ok(days)
    } else {
        Err(ApiError::BadRequest(
            "window_days: must be from 1 to 14".into(),
        ))
    }
}

/// Days compared before and after each session when the request names none.
pub const DEFAULT_WINDOW_DAYS: i64 = 3;

/// The analysis of a journal, with the daily and weekly series it ran on (from the first
/// entry to the last).
pub fn effect_of(journal: &Journal, window_days: i64) -> MassageEffect {
    let days = daily(journal, None, None);
    let weeks = weekly(&days);
    let params = Params {
        window_days,
        ..Params::default()
    };
    MassageEffect {
        analysis: analyse(&days, &weeks, &params),
        daily: days,
        weekly: weeks,
    }
}

pub async fn weekly_series(
    state: &AppState,
    user_id: UserId,
    params: WeeklyParams,
) -> Result<WeeklySeries, ApiError> {
    let range = parse_range(&params.from, &params.to)?;
    let (_, weeks) = series(state, user_id, range).await?;
    Ok(WeeklySeries { weeks })
}

/// The profile, the report period resolved in the user's time zone, and the journal of its
/// days, read on `conn` (in the caller's snapshot).
pub fn read_report(
    conn: &mut DbConn,
    user_id: &UserId,
    params: &crate::reports::PeriodParams,
) -> Result<
    (
        crate::auth::accounts::Profile,
        crate::reports::Period,
        Journal,
    ),
    ApiError,
> {
    let profile = crate::auth::accounts::read_profile(conn, user_id)?;
    let timezone = crate::domain::Timezone::parse(&profile.timezone).map_err(ApiError::internal)?;
    let period = crate::reports::Period::resolve(params, &timezone)?;
    let range = Range {
        from: Some(period.from),
        to: Some(period.to),
    };
    let journal = read_journal(conn, user_id, &range)?;
    Ok((profile, period, journal))
}

/// The profile, the report period and the daily series over all of it, read in one snapshot.
pub async fn report_days(
    state: &AppState,
    user_id: UserId,
    params: crate::reports::PeriodParams,
) -> Result<
    (
        crate::auth::accounts::Profile,
        crate::reports::Period,
        Vec<Day>,
    ),
    ApiError,
> {
    let (profile, period, journal) = state
        .db(move |conn| conn.read_transaction(|conn| read_report(conn, &user_id, &params)))
        .await?;
    let days = daily(&journal, Some(period.from), Some(period.to));
    Ok((profile, period, days))
}
