//! Pain entries: how much it hurts now (0–10), in the back and in the leg, where, how, and
//! what set it off.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant::Instant;
use super::{
    cleared_date, cleared_instant, delegate_queries, local_date_for, rfc3339, unreadable, Resource,
    RowMeta,
};
use crate::db::journal::pain_entries::{self as table, PainEntryRow};
use crate::domain::journal::{
    json_to_strings, parse_instant, parse_level, parse_set, parse_text, set_to_json, Quality,
    Region, Trigger, NOTES_MAX_CHARS,
};
use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

/// A pain entry as the client sends it (create; a PATCH sends any subset).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "pe-2026-11-27-0830",
    "recorded_at": "2026-11-27T08:30:00+01:00",
    "intensity": 6,
    "back_pain": 4,
    "leg_pain": 6,
    "regions": ["lower_back", "buttock_left", "thigh_left"],
    "qualities": ["shooting", "tingling"],
    "triggers": ["prolonged_sitting"],
    "notes": "Worse after the drive to work."
}))]
pub struct PainEntryInput {
    /// Optional client-chosen id (`^[A-Za-z0-9_.-]{1,64}$`); a UUID is made when absent.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    pub id: Option<String>,
    /// When, RFC 3339 with offset; at most 24 h ahead.
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// The worst pain now, 0–10.
    #[schema(minimum = 0, maximum = 10)]
    #[serde(deserialize_with = "crate::domain::whole_numbers::whole")]
    pub intensity: i64,
    #[schema(minimum = 0, maximum = 10)]
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    pub back_pain: Option<i64>,
    #[schema(minimum = 0, maximum = 10)]
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_numbers::optional_whole"
    )]
    pub leg_pain: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Vec<Region>, max_items = 64)]
    pub regions: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Quality>, max_items = 64)]
    pub qualities: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Trigger>, max_items = 64)]
    pub triggers: Vec<String>,
    /// At most 4000 characters.
    #[schema(max_length = 4000, pattern = "^[^\\x00]*$")]
    pub notes: Option<String>,
}

/// A stored pain entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PainEntry {
    pub id: String,
    #[schema(value_type = String)]
    pub recorded_at: Instant,
    /// The user's calendar day of `recorded_at`, fixed when recorded.
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "super::instant::serialize_date")]
    pub local_date: chrono::NaiveDate,
    pub intensity: i32,
    pub back_pain: Option<i32>,
    pub leg_pain: Option<i32>,
    pub regions: Vec<String>,
    pub qualities: Vec<String>,
    pub triggers: Vec<String>,
    pub notes: Option<String>,
    /// The user's change number of the last write.
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Instant,
    #[schema(value_type = String)]
    pub updated_at: Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PainEntryDraft {
    recorded_at: NaiveDateTime,
    intensity: i32,
    back_pain: Option<i32>,
    leg_pain: Option<i32>,
    regions: String,
    qualities: String,
    triggers: String,
    notes: Option<String>,
}

pub struct PainEntries;

impl Resource for PainEntries {
    type Row = PainEntryRow;
    type Input = PainEntryInput;
    type Draft = PainEntryDraft;
    type View = PainEntry;
    type Related = ();

    fn input_id(input: &PainEntryInput) -> Option<&str> {
        input.id.as_deref()
    }

    fn parse(
        input: &PainEntryInput,
        now: DateTime<Utc>,
    ) -> Result<PainEntryDraft, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let recorded_at = errors.check("recorded_at", parse_instant(&input.recorded_at, now));
        let intensity = errors.check("intensity", parse_level(input.intensity));
        let back_pain = errors.check("back_pain", input.back_pain.map(parse_level).transpose());
        let leg_pain = errors.check("leg_pain", input.leg_pain.map(parse_level).transpose());
        let regions = errors.check("regions", parse_set(&input.regions, Region::parse));
        let qualities = errors.check("qualities", parse_set(&input.qualities, Quality::parse));
        let triggers = errors.check("triggers", parse_set(&input.triggers, Trigger::parse));
        let notes = errors.check("notes", parse_text(input.notes.as_deref(), NOTES_MAX_CHARS));
        errors.into_result()?;
        let draft = || {
            Some(PainEntryDraft {
                recorded_at: recorded_at?,
                intensity: intensity?,
                back_pain: back_pain?,
                leg_pain: leg_pain?,
                regions: set_to_json(&regions?, Region::as_str),
                qualities: set_to_json(&qualities?, Quality::as_str),
                triggers: set_to_json(&triggers?, Trigger::as_str),
                notes: notes?,
            })
        };
        draft().ok_or_else(unreadable)
    }

    fn input_from_row(row: &PainEntryRow) -> PainEntryInput {
        PainEntryInput {
            id: Some(row.id.clone()),
            recorded_at: rfc3339(row.recorded_at),
            intensity: row.intensity.into(),
            back_pain: row.back_pain.map(i64::from),
            leg_pain: row.leg_pain.map(i64::from),
            regions: json_to_strings(&row.regions),
            qualities: json_to_strings(&row.qualities),
            triggers: json_to_strings(&row.triggers),
            notes: row.notes.clone(),
        }
    }

    fn build_row(
        draft: PainEntryDraft,
        meta: RowMeta<'_>,
        previous: Option<&PainEntryRow>,
        _related: &(),
    ) -> Result<PainEntryRow, ApiError> {
        Ok(PainEntryRow {
            user_id: meta.user_id.to_string(),
            id: meta.id.as_str().to_owned(),
            local_date: local_date_for(
                draft.recorded_at,
                &meta.timezone,
                previous.map(|p| (p.recorded_at, p.local_date)),
            ),
            recorded_at: draft.recorded_at,
            intensity: draft.intensity,
            back_pain: draft.back_pain,
            leg_pain: draft.leg_pain,
            regions: draft.regions,
            qualities: draft.qualities,
            triggers: draft.triggers,
            notes: draft.notes,
            version: meta.version,
            deleted: false,
            created_at: previous.map_or(meta.now, |p| p.created_at),
            updated_at: meta.now,
        })
    }

    fn tombstone(row: &PainEntryRow, version: i64, now: NaiveDateTime) -> PainEntryRow {
        PainEntryRow {
            user_id: row.user_id.clone(),
            id: row.id.clone(),
            recorded_at: cleared_instant(),
            local_date: cleared_date(),
            intensity: 0,
            back_pain: None,
            leg_pain: None,
            regions: "[]".into(),
            qualities: "[]".into(),
            triggers: "[]".into(),
            notes: None,
            version,
            deleted: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn view(row: &PainEntryRow) -> PainEntry {
        PainEntry {
            id: row.id.clone(),
            recorded_at: Instant(row.recorded_at),
            local_date: row.local_date,
            intensity: row.intensity,
            back_pain: row.back_pain,
            leg_pain: row.leg_pain,
            regions: json_to_strings(&row.regions),
            qualities: json_to_strings(&row.qualities),
            triggers: json_to_strings(&row.triggers),
            notes: row.notes.clone(),
            version: row.version,
            created_at: Instant(row.created_at),
            updated_at: Instant(row.updated_at),
        }
    }

    fn is_deleted(row: &PainEntryRow) -> bool {
        row.deleted
    }

    fn sort_key(row: &PainEntryRow) -> (NaiveDateTime, String) {
        (row.recorded_at, row.id.clone())
    }

    delegate_queries!(table, PainEntryRow);
}
