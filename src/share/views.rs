//! What the next massage therapist sees (scope `therapist`): the sessions with the
//! therapists' notes, and where it hurt in recent weeks. No medications.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::journal::ListFilter;
use crate::db::DbConn;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::journal::massage_sessions::{MassageSession, MassageSessions};
use crate::journal::pain_entries::PainEntries;

/// Sessions shown, newest first.
const SESSIONS_SHOWN: i64 = 200;
/// Pain entries counted for the regions (more than three a day for a year).
const PAIN_ENTRIES_COUNTED: i64 = 2_000;

/// How often a region was marked in the recent pain entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionCount {
    pub region: String,
    pub entries: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MassageView {
    /// Newest first, at most 200.
    pub sessions: Vec<MassageSession>,
    /// The weeks the regions are counted over, back from today.
    pub weeks: i64,
    /// Most marked first.
    pub pain_regions: Vec<RegionCount>,
    pub pain_entries: usize,
}

/// Reads the view on `conn` (in the caller's transaction).
pub fn massage_view(
    conn: &mut DbConn,
    patient: &UserId,
    weeks: i64,
) -> Result<MassageView, ApiError> {
    let sessions = crate::journal::list_on::<MassageSessions>(
        conn,
        patient,
        &ListFilter::default(),
        SESSIONS_SHOWN,
    )?;
    let filter = ListFilter {
        from: Some(chrono::Utc::now().date_naive() - chrono::Duration::weeks(weeks)),
        ..ListFilter::default()
    };
    let pain =
        crate::journal::list_on::<PainEntries>(conn, patient, &filter, PAIN_ENTRIES_COUNTED)?;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for entry in &pain.items {
        for region in &entry.regions {
            *counts.entry(region.clone()).or_default() += 1;
        }
    }
    let mut pain_regions: Vec<RegionCount> = counts
        .into_iter()
        .map(|(region, entries)| RegionCount { region, entries })
        .collect();
    pain_regions.sort_by_key(|r| std::cmp::Reverse(r.entries));
    Ok(MassageView {
        sessions: sessions.items,
        weeks,
        pain_regions,
        pain_entries: pain.items.len(),
    })
}
