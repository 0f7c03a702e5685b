//! `pain-journal demo-data`: fills an account with a synthetic journal (see `simulate`), so the
//! insight can be tried on realistic data.

use chrono::{Datelike, Duration, NaiveTime, Utc};
use serde_json::{json, Value};

use super::simulate::{generate, Booking, Scenario};
use crate::db::users;
use crate::domain::{Email, UserId};
use crate::state::AppState;

/// What `fill` reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Rows it will write.
    Total(u64),
    /// Rows just written.
    Done(u64),
}

/// Writes `weeks` weeks ending today into the account of `email`, through the same path as a
/// phone's sync push (so every value is validated and versioned). Answers the rows written;
/// `progress` hears the total first, then each batch written (the CLI draws a bar with it).
pub async fn fill(
    state: &AppState,
    email: &str,
    weeks: usize,
    effect: f64,
    booking: Booking,
    seed: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<usize, String> {
    let email = Email::parse(email).map_err(|e| format!("--email: {e}"))?;
    let user = state
        .db(move |conn| Ok(users::find_by_email(conn, email.as_str())?))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no account with that email; register it first")?;
    let today = Utc::now().date_naive();
    let start = today
        - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7 * weeks as i64);
    let journal = generate(
        &Scenario {
            weeks,
            effect,
            booking,
            seed,
        },
        start,
    );
    let at = |date: chrono::NaiveDate, hour: u32| {
        date.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default())
            .and_utc()
            .timestamp_millis()
    };
    let medications = json!([
        {"id": "demo-ibuprofen", "name": "Ibuprofen 400 mg", "drug_class": "nsaid", "strength": 400, "strength_unit": "mg", "form": "tablet", "active": true},
        {"id": "demo-oxycodone", "name": "Oxycodone 5 mg", "drug_class": "opioid", "opioid": "oxycodone", "strength": 5, "strength_unit": "mg", "form": "tablet", "active": true},
    ]);
    let pain: Vec<Value> = journal
        .pain
        .iter()
        .map(|p| json!({"id": format!("demo-pain-{}", p.date), "recorded_at": at(p.date, 9), "intensity": p.intensity,
                        "back_pain": (p.intensity - 1).max(0), "leg_pain": p.intensity, "regions": "[\"lower_back\",\"thigh_left\"]",
                        "qualities": "[\"shooting\"]", "triggers": "[]"}))
        .collect();
    let intakes: Vec<Value> = journal
        .doses
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let medication = if d.drug_class == "opioid" { "demo-oxycodone" } else { "demo-ibuprofen" };
            json!({"id": format!("demo-intake-{i}"), "medication_id": medication, "taken_at": at(d.date, 8 + (i % 12) as u32), "quantity": 1})
        })
        .collect();
    let massages: Vec<Value> = journal
        .massages
        .iter()
        .map(|m| json!({"id": format!("demo-massage-{m}"), "started_at": at(*m, 17), "duration_min": 60, "kind": "deep_tissue", "regions": "[\"lower_back\"]"}))
        .collect();
    let user_id = UserId::from_trusted(user.id);
    let mut written = 0;
    let batches = [
        (
            "medications",
            medications.as_array().cloned().unwrap_or_default(),
        ),
        ("pain_entries", pain),
        ("medication_intakes", intakes),
        ("massage_sessions", massages),
    ];
    progress(Progress::Total(
        batches.iter().map(|(_, rows)| rows.len() as u64).sum(),
    ));
    for (table, rows) in batches {
        for chunk in rows.chunks(1000) {
            let body =
                json!({"changes": {table: {"created": chunk, "updated": [], "deleted": []}}});
            let result = crate::sync::push_as_owner(state, user_id.clone(), body)
                .await
                .map_err(|e| e.to_string())?;
            if !result.rejected.is_empty() {
                return Err(format!("rows were rejected: {:?}", result.rejected));
            }
            written += result.applied;
            progress(Progress::Done(chunk.len() as u64));
        }
    }
    Ok(written)
}
