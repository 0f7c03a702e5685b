//! Massage sessions: when, how long, what kind, where, and pain before and after.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant::Instant;
use super::{
    cleared_date, cleared_instant, delegate_queries, local_date_for, rfc3339, unreadable, Resource,
    RowMeta,
};
use crate::db::journal::massage_sessions::{self as table, MassageSessionRow};
use crate::domain::journal::{
    json_to_strings, parse_instant, parse_level, parse_set, parse_text, set_to_json, MassageKind,
    Pressure, Region, NOTES_MAX_CHARS,
};
use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "ms-2026-11-27",
    "started_at": "2026-11-27T17:00:00+01:00",
    "duration_min": 60,
    "kind": "deep_tissue",
    "pressure": "firm",
    "therapist": "Studio Nord",
    "regions": ["lower_back", "buttock_left"],
    "pain_before": 6,
    "pain_after": 3,
    "soreness_next_day": null,
    "notes": "Piriformis very tight."
}))]
pub struct MassageSessionInput {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub id: Option<String>,
    /// RFC 3339 with offset; at most 24 h ahead.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// 1–600 minutes.
    #[schema(minimum = 1, maximum = 600)]
    #[serde(deserialize_with = "crate::domain::whole_numbers::whole")]
    pub duration_min: i64,
    /// `deep_tissue`, `swedish`, `trigger_point`, `myofascial_release`, `sports`, `shiatsu`,
    /// `self_massage`, `other`.
    #[schema(value_type = MassageKind)]
    pub kind: String,
    /// `light`, `medium`, `firm`, `deep`.
    #[schema(value_type = Option<Pressure>)]
    pub pressure: Option<String>,
    /// Who gave it (at most 200 characters).
    #[schema(max_length = 200, pattern = "^[^\\x00]*$")]
    pub therapist: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Region>, max_items = 64)]
    pub regions: Vec<String>,
    #[schema(minimum = 0, maximum = 10)]
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    pub pain_before: Option<i64>,
    #[schema(minimum = 0, maximum = 10)]
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    pub pain_after: Option<i64>,
    #[schema(minimum = 0, maximum = 10)]
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    pub soreness_next_day: Option<i64>,
    #[schema(max_length = 4000, pattern = "^[^\\x00]*$")]
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MassageSession {
    pub id: String,
    #[schema(value_type = String)]
    pub started_at: Instant,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "super::instant::serialize_date")]
    pub local_date: chrono::NaiveDate,
    pub duration_min: i32,
    pub kind: String,
    pub pressure: Option<String>,
    pub therapist: Option<String>,
    pub regions: Vec<String>,
    pub pain_before: Option<i32>,
    pub pain_after: Option<i32>,
    pub soreness_next_day: Option<i32>,
    pub notes: Option<String>,
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Instant,
    #[schema(value_type = String)]
    pub updated_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MassageSessionDraft {
    started_at: NaiveDateTime,
    duration_min: i32,
    kind: MassageKind,
    pressure: Option<Pressure>,
    therapist: Option<String>,
    regions: String,
    pain_before: Option<i32>,
    pain_after: Option<i32>,
    soreness_next_day: Option<i32>,
    notes: Option<String>,
}

fn parse_duration(raw: i64) -> Result<i32, String> {
    if (1..=600).contains(&raw) {
        Ok(raw as i32)
    } else {
        Err("must be a whole number of minutes from 1 to 600".into())
    }
}

pub struct MassageSessions;

impl Resource for MassageSessions {
    type Row = MassageSessionRow;
    type Input = MassageSessionInput;
    type Draft = MassageSessionDraft;
    type View = MassageSession;
    type Related = ();

    fn input_id(input: &MassageSessionInput) -> Option<&str> {
        input.id.as_deref()
    }

    fn parse(
        input: &MassageSessionInput,
        now: DateTime<Utc>,
    ) -> Result<MassageSessionDraft, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let level = |field: &str, errors: &mut FieldErrors, raw: Option<i64>| {
            errors.check(field, raw.map(parse_level).transpose())
        };
        let started_at = errors.check("started_at", parse_instant(&input.started_at, now));
        let duration_min = errors.check("duration_min", parse_duration(input.duration_min));
        let kind = errors.check("kind", MassageKind::parse(&input.kind));
        let pressure = errors.check(
            "pressure",
            input.pressure.as_deref().map(Pressure::parse).transpose(),
        );
        let therapist = errors.check("therapist", parse_text(input.therapist.as_deref(), 200));
        let regions = errors.check("regions", parse_set(&input.regions, Region::parse));
        let pain_before = level("pain_before", &mut errors, input.pain_before);
        let pain_after = level("pain_after", &mut errors, input.pain_after);
        let soreness_next_day = level("soreness_next_day", &mut errors, input.soreness_next_day);
        let notes = errors.check("notes", parse_text(input.notes.as_deref(), NOTES_MAX_CHARS));
        errors.into_result()?;
        let draft = || {
            Some(MassageSessionDraft {
                started_at: started_at?,
                duration_min: duration_min?,
                kind: kind?,
                pressure: pressure?,
                therapist: therapist?,
                regions: set_to_json(&regions?, Region::as_str),
                pain_before: pain_before?,
                pain_after: pain_after?,
                soreness_next_day: soreness_next_day?,
                notes: notes?,
            })
        };
        draft().ok_or_else(unreadable)
    }

    fn input_from_row(row: &MassageSessionRow) -> MassageSessionInput {
        MassageSessionInput {
            id: Some(row.id.clone()),
            started_at: rfc3339(row.started_at),
            duration_min: row.duration_min.into(),
            kind: row.kind.clone(),
            pressure: row.pressure.clone(),
            therapist: row.therapist.clone(),
            regions: json_to_strings(&row.regions),
            pain_before: row.pain_before.map(i64::from),
            pain_after: row.pain_after.map(i64::from),
            soreness_next_day: row.soreness_next_day.map(i64::from),
            notes: row.notes.clone(),
        }
    }

    fn build_row(
        draft: MassageSessionDraft,
        meta: RowMeta<'_>,
        previous: Option<&MassageSessionRow>,
        _related: &(),
    ) -> Result<MassageSessionRow, ApiError> {
        Ok(MassageSessionRow {
            user_id: meta.user_id.to_string(),
            id: meta.id.as_str().to_owned(),
            local_date: local_date_for(
                draft.started_at,
                &meta.timezone,
                previous.map(|p| (p.started_at, p.local_date)),
            ),
            started_at: draft.started_at,
            duration_min: draft.duration_min,
            kind: draft.kind.as_str().to_owned(),
            pressure: draft.pressure.map(|p| p.as_str().to_owned()),
            therapist: draft.therapist,
            regions: draft.regions,
            pain_before: draft.pain_before,
            pain_after: draft.pain_after,
            soreness_next_day: draft.soreness_next_day,
            notes: draft.notes,
            version: meta.version,
            deleted: false,
            created_at: previous.map_or(meta.now, |p| p.created_at),
            updated_at: meta.now,
        })
    }

    fn tombstone(row: &MassageSessionRow, version: i64, now: NaiveDateTime) -> MassageSessionRow {
        MassageSessionRow {
            user_id: row.user_id.clone(),
            id: row.id.clone(),
            started_at: cleared_instant(),
            local_date: cleared_date(),
            duration_min: 0,
            kind: String::new(),
            pressure: None,
            therapist: None,
            regions: "[]".into(),
            pain_before: None,
            pain_after: None,
            soreness_next_day: None,
            notes: None,
            version,
            deleted: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn view(row: &MassageSessionRow) -> MassageSession {
        MassageSession {
            id: row.id.clone(),
            started_at: Instant(row.started_at),
            local_date: row.local_date,
            duration_min: row.duration_min,
            kind: row.kind.clone(),
            pressure: row.pressure.clone(),
            therapist: row.therapist.clone(),
            regions: json_to_strings(&row.regions),
            pain_before: row.pain_before,
            pain_after: row.pain_after,
            soreness_next_day: row.soreness_next_day,
            notes: row.notes.clone(),
            version: row.version,
            created_at: Instant(row.created_at),
            updated_at: Instant(row.updated_at),
        }
    }

    fn is_deleted(row: &MassageSessionRow) -> bool {
        row.deleted
    }

    fn sort_key(row: &MassageSessionRow) -> (NaiveDateTime, String) {
        (row.started_at, row.id.clone())
    }

    delegate_queries!(table, MassageSessionRow);
}
