//! Check-ins: questionnaires scored by the server.
//!
//! - PEG (Krebs et al. 2009), weekly: 3 items 0–10 about the past week — average pain,
//!   interference with enjoyment of life, with general activity. Score = their mean.
//! - ODI, Oswestry Disability Index 2.1a, monthly: 10 items 0–5; a skipped item is null.
//!   Score = sum / (5 × answered) × 100 (percent disability). With more than two items
//!   skipped the score is not meaningful, so at least 8 must be answered.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant::Instant;
use super::{
    cleared_date, cleared_instant, delegate_queries, local_date_for, rfc3339, unreadable, Resource,
    RowMeta,
};
use crate::db::journal::check_ins::{self as table, CheckInRow};
use crate::domain::journal::{parse_instant, CheckInKind};
use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "peg-2026-w48",
    "answered_at": "2026-11-27T20:00:00+01:00",
    "kind": "peg",
    "items": [6, 5, 7]
}))]
pub struct CheckInInput {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub id: Option<String>,
    /// RFC 3339 with offset; at most 24 h ahead.
    #[schema(format = DateTime)]
    pub answered_at: String,
    /// `peg` (3 items 0–10) or `odi` (10 items 0–5, null for a skipped one).
    #[schema(value_type = CheckInKind)]
    pub kind: String,
    #[schema(min_items = 3, max_items = 10)]
    #[serde(deserialize_with = "crate::domain::whole_numbers::optional_wholes")]
    pub items: Vec<Option<i64>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckIn {
    pub id: String,
    #[schema(value_type = String)]
    pub answered_at: Instant,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "super::instant::serialize_date")]
    pub local_date: chrono::NaiveDate,
    pub kind: String,
    pub items: Vec<Option<i64>>,
    /// PEG: mean of the items (0–10). ODI: percent disability (0–100).
    pub score: f64,
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Instant,
    #[schema(value_type = String)]
    pub updated_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckInDraft {
    answered_at: NaiveDateTime,
    kind: CheckInKind,
    items: Vec<Option<i64>>,
    score: f64,
}

/// Validates the items of `kind` and computes the score.
pub fn score(kind: CheckInKind, items: &[Option<i64>]) -> Result<f64, String> {
    let (count, max) = match kind {
        CheckInKind::Peg => (3, 10),
        CheckInKind::Odi => (10, 5),
    };
    if items.len() != count {
        return Err(format!("{} needs exactly {count} items", kind.as_str()));
    }
    if items.iter().flatten().any(|v| !(0..=max).contains(v)) {
        return Err(format!("each item must be a whole number from 0 to {max}"));
    }
    let answered: Vec<i64> = items.iter().flatten().copied().collect();
    let sum: i64 = answered.iter().sum();
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    match kind {
        CheckInKind::Peg if answered.len() < 3 => Err("every PEG item must be answered".into()),
        CheckInKind::Peg => Ok(round(sum as f64 / 3.0, 2)),
        CheckInKind::Odi if answered.len() < 8 => {
            Err("at least 8 of the 10 items must be answered".into())
        }
        CheckInKind::Odi => Ok(round(sum as f64 / (5.0 * answered.len() as f64) * 100.0, 1)),
    }
}

pub struct CheckIns;

impl Resource for CheckIns {
    type Row = CheckInRow;
    type Input = CheckInInput;
    type Draft = CheckInDraft;
    type View = CheckIn;
    type Related = ();

    fn input_id(input: &CheckInInput) -> Option<&str> {
        input.id.as_deref()
    }

    fn parse(input: &CheckInInput, now: DateTime<Utc>) -> Result<CheckInDraft, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let answered_at = errors.check("answered_at", parse_instant(&input.answered_at, now));
        let kind = errors.check("kind", CheckInKind::parse(&input.kind));
        let score = kind.and_then(|kind| errors.check("items", score(kind, &input.items)));
        errors.into_result()?;
        let draft = || {
            Some(CheckInDraft {
                answered_at: answered_at?,
                kind: kind?,
                items: input.items.clone(),
                score: score?,
            })
        };
        draft().ok_or_else(unreadable)
    }

    fn input_from_row(row: &CheckInRow) -> CheckInInput {
        CheckInInput {
            id: Some(row.id.clone()),
            answered_at: rfc3339(row.answered_at),
            kind: row.kind.clone(),
            items: serde_json::from_str(&row.items).unwrap_or_default(),
        }
    }

    fn build_row(
        draft: CheckInDraft,
        meta: RowMeta<'_>,
        previous: Option<&CheckInRow>,
        _related: &(),
    ) -> Result<CheckInRow, ApiError> {
        Ok(CheckInRow {
            user_id: meta.user_id.to_string(),
            id: meta.id.as_str().to_owned(),
            local_date: local_date_for(
                draft.answered_at,
                &meta.timezone,
                previous.map(|p| (p.answered_at, p.local_date)),
            ),
            answered_at: draft.answered_at,
            kind: draft.kind.as_str().to_owned(),
            items: serde_json::to_string(&draft.items).map_err(ApiError::internal)?,
            score: draft.score,
            version: meta.version,
            deleted: false,
            created_at: previous.map_or(meta.now, |p| p.created_at),
            updated_at: meta.now,
        })
    }

    fn tombstone(row: &CheckInRow, version: i64, now: NaiveDateTime) -> CheckInRow {
        CheckInRow {
            user_id: row.user_id.clone(),
            id: row.id.clone(),
            answered_at: cleared_instant(),
            local_date: cleared_date(),
            kind: String::new(),
            items: "[]".into(),
            score: 0.0,
            version,
            deleted: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn view(row: &CheckInRow) -> CheckIn {
        CheckIn {
            id: row.id.clone(),
            answered_at: Instant(row.answered_at),
            local_date: row.local_date,
            kind: row.kind.clone(),
            items: serde_json::from_str(&row.items).unwrap_or_default(),
            score: row.score,
            version: row.version,
            created_at: Instant(row.created_at),
            updated_at: Instant(row.updated_at),
        }
    }

    fn is_deleted(row: &CheckInRow) -> bool {
        row.deleted
    }

    fn sort_key(row: &CheckInRow) -> (NaiveDateTime, String) {
        (row.answered_at, row.id.clone())
    }

    delegate_queries!(table, CheckInRow);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peg_is_the_mean_of_three_items() {
        assert_eq!(
            score(CheckInKind::Peg, &[Some(6), Some(5), Some(7)]),
            Ok(6.0)
        );
        assert_eq!(
            score(CheckInKind::Peg, &[Some(1), Some(1), Some(2)]),
            Ok(1.33)
        );
        assert!(score(CheckInKind::Peg, &[Some(6), None, Some(7)]).is_err());
        assert!(score(CheckInKind::Peg, &[Some(11), Some(5), Some(7)]).is_err());
        assert!(score(CheckInKind::Peg, &[Some(1), Some(2)]).is_err());
    }

    #[test]
    fn odi_scores_over_answered_items() {
        let all = [Some(2); 10];
        assert_eq!(score(CheckInKind::Odi, &all), Ok(40.0));
        let mut one_skipped = all;
        one_skipped[3] = None;
        // 18 / (5 × 9) × 100 = 40.0
        assert_eq!(score(CheckInKind::Odi, &one_skipped), Ok(40.0));
        let mut three_skipped = one_skipped;
        three_skipped[4] = None;
        three_skipped[5] = None;
        assert!(score(CheckInKind::Odi, &three_skipped).is_err());
        assert!(score(CheckInKind::Odi, &[Some(6); 10]).is_err());
    }
}
