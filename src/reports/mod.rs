//! What leaves the app for someone else: the chart (SVG), the journal as CSV, and the whole
//! account as one JSON document. Everything reads only the signed-in person's rows, over a
//! period of their local days; and the way back in (`import`).

pub mod chart;
pub mod doctor;
pub mod export;
pub mod fhir;
pub mod import;
pub mod journal_csv;
pub mod pdf;

use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::journal::ListFilter;
use crate::domain::journal::parse_date;
use crate::domain::Timezone;
use crate::error::ApiError;
use crate::insight::series::MAX_SPAN_DAYS;

/// Days a report covers when the request names no start.
pub const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First local day, `YYYY-MM-DD` (default: 89 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day, `YYYY-MM-DD` (default: today in the user's time zone); before `from`:
    /// an empty period.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// Refuses unreadable dates before anything is read (or logged).
pub fn check_period(params: &PeriodParams) -> Result<(), ApiError> {
    optional_date(&params.from, "from")?;
    optional_date(&params.to, "to")?;
    Ok(())
}

/// A local day from the query, if given; `name` says which in the 400.
pub fn optional_date(raw: &Option<String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    raw.as_deref()
        .map(|r| parse_date(r).map_err(|why| ApiError::BadRequest(format!("{name}: {why}"))))
        .transpose()
}

/// Rows of the local days `from ..= to` from the query; either end open when not given.
pub fn days_filter(from: &Option<String>, to: &Option<String>) -> Result<ListFilter, ApiError> {
    Ok(ListFilter {
        from: optional_date(from, "from")?,
        to: optional_date(to, "to")?,
        before: None,
    })
}

/// Local days `from ..= to`; empty when `to` is before `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period asked for, in the user's days: the last 90 days up to today by default, and
    /// at most the most recent five years of a longer one (as the insight's series).
    pub fn resolve(params: &PeriodParams, timezone: &Timezone) -> Result<Period, ApiError> {
        let (from, to) = (
            optional_date(&params.from, "from")?,
            optional_date(&params.to, "to")?,
        );
        let today = Utc::now().with_timezone(&timezone.tz()).date_naive();
        let to = to.unwrap_or(today);
        let back = |days: i64| {
            to.checked_sub_signed(Duration::days(days - 1))
                .unwrap_or(NaiveDate::MIN)
        };
        let from = from.unwrap_or(back(DEFAULT_DAYS)).max(back(MAX_SPAN_DAYS));
        Ok(Period { from, to })
    }

    /// Days in the period (0 when empty).
    pub fn days(&self) -> i64 {
        ((self.to - self.from).num_days() + 1).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(from: Option<&str>, to: Option<&str>) -> PeriodParams {
        PeriodParams {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn periods_default_to_ninety_days_and_at_most_five_years() {
        let tz = Timezone::parse("Europe/Berlin").unwrap();
        let p = Period::resolve(&params(None, Some("2026-03-31")), &tz).unwrap();
        assert_eq!(p.from, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(p.days(), 90);
        let long = Period::resolve(&params(Some("1950-01-01"), Some("2026-03-31")), &tz).unwrap();
        assert_eq!(long.days(), MAX_SPAN_DAYS);
        let empty = Period::resolve(&params(Some("2026-04-02"), Some("2026-04-01")), &tz).unwrap();
        assert_eq!(empty.days(), 0);
        assert!(Period::resolve(&params(Some("2026-02-30"), None), &tz).is_err());
        let earliest = Period::resolve(&params(None, Some("-262143-01-01")), &tz).unwrap();
        assert_eq!(earliest.from, NaiveDate::MIN);
    }
}
