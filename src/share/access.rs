//! What a clinician or a link holder may see, and the access log.
//!
//! Every view goes through [`enter`] inside the transaction that reads what it shows: the
//! grant is checked against the database (so a revoke on any server counts from the next
//! request), the look is written to the patient's access log, and only then is the data read.
//! If the log cannot be written, nothing is served. An expired, revoked, out-of-scope or
//! missing grant answers 404, exactly like a patient who does not exist.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::secrets;
use super::{Scope, View};
use crate::db::{self, shares, DbConn};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;

/// Who is looking.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// A signed-in clinician, at one of their patients (the id from the path, unchecked).
    Clinician { clinician: UserId, patient: String },
    /// Whoever holds a link token.
    Link { token: String },
}

/// A look that was let in: whose data, through which grant.
#[derive(Debug, Clone)]
pub struct Opened {
    pub patient: UserId,
    pub share_id: String,
    pub scope: Scope,
}

/// Checks that `viewer` may see `view` now and logs the look as `what`, on `conn` (inside the
/// caller's write transaction, which then reads the data).
pub fn enter(
    conn: &mut DbConn,
    viewer: &Viewer,
    view: View,
    what: &str,
    address: Option<String>,
) -> Result<Opened, ApiError> {
    let now = db::now();
    let (grant, clinician_id, name) = match viewer {
        Viewer::Clinician { clinician, patient } => {
            if patient.is_empty() || patient.len() > 64 {
                return Err(ApiError::NotFound);
            }
            let patient = UserId::from_trusted(patient.clone());
            let grants = shares::from_patient(conn, &patient, clinician, now)?;
            let Some(grant) = grants
                .into_iter()
                .find(|g| Scope::parse(&g.scope).is_some_and(|s| s.allows(view)))
            else {
                return Err(ApiError::NotFound);
            };
            let me = db::users::find(conn, clinician)?;
            let name = me.display_name.unwrap_or(me.email);
            (grant, Some(clinician.to_string()), name)
        }
        Viewer::Link { token } => {
            if !secrets::plausible_link_token(token) {
                return Err(ApiError::NotFound);
            }
            let Some(grant) = shares::find_by_secret(conn, &secrets::hash(token))? else {
                return Err(ApiError::NotFound);
            };
            let usable = grant.kind == super::Kind::Link.as_str()
                && grant.revoked_at.is_none()
                && grant.expires_at > now
                && Scope::parse(&grant.scope).is_some_and(|s| s.allows(view));
            if !usable {
                return Err(ApiError::NotFound);
            }
            let name = format!("Link \u{201c}{}\u{201d}", grant.label);
            (grant, None, name)
        }
    };
    shares::log_access(
        conn,
        &shares::AccessRow {
            user_id: grant.user_id.clone(),
            id: uuid::Uuid::new_v4().to_string(),
            share_id: grant.id.clone(),
            clinician_id,
            viewer: name,
            what: what.to_owned(),
            address,
            at: now,
            created_at: now,
            updated_at: now,
        },
    )?;
    shares::touch(conn, &grant, now)?;
    Ok(Opened {
        patient: UserId::from_trusted(grant.user_id),
        share_id: grant.id,
        scope: Scope::parse(&grant.scope).ok_or_else(|| ApiError::internal("stored scope"))?,
    })
}

/// Runs `read` on the patient's data once `viewer` is let in to see `view` (logged as
/// `what`), all in one transaction.
pub async fn read_as<T, F>(
    state: &AppState,
    viewer: Viewer,
    view: View,
    what: String,
    address: Option<String>,
    read: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn, &Opened) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let opened = enter(conn, &viewer, view, &what, address)?;
                read(conn, &opened)
            })
        })
        .await
}

/// A patient as a clinician's list shows them (one row per live grant).
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedPatient {
    pub patient_id: String,
    pub display_name: Option<String>,
    pub share_id: String,
    pub scope: Scope,
    pub expires_at: DateTime<Utc>,
    /// When the patient last recorded or changed anything in their journal.
    pub last_journal_activity: Option<DateTime<Utc>>,
}

/// The patients who shared with this clinician, and what.
pub async fn patients(state: &AppState, clinician: UserId) -> Result<Vec<SharedPatient>, ApiError> {
    state
        .db(move |conn| {
            conn.read_transaction(|conn| {
                let now = db::now();
                let mut out = Vec::new();
                for (grant, display_name) in shares::for_clinician(conn, &clinician, now)? {
                    let patient = UserId::from_trusted(grant.user_id.clone());
                    out.push(SharedPatient {
                        last_journal_activity: shares::last_journal_activity(conn, &patient)?
                            .map(|t| t.and_utc()),
                        patient_id: grant.user_id,
                        display_name,
                        share_id: grant.id,
                        scope: Scope::parse(&grant.scope)
                            .ok_or_else(|| ApiError::internal("stored scope"))?,
                        expires_at: grant.expires_at.and_utc(),
                    });
                }
                Ok(out)
            })
        })
        .await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessLogParams {
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^-?[0-9]{1,16}~[A-Za-z0-9_.-]{1,64}$")]
    pub cursor: Option<String>,
}

/// One look at the patient's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    pub share_id: String,
    /// The clinician's name (or email), or the link's label.
    pub viewer: String,
    /// `clinician` or `link`.
    pub via: String,
    /// What was seen: `summary`, `weekly`, `chart`, `report_pdf`, `page`, `massage`, or a
    /// journal table.
    pub what: String,
    /// The viewer's address, truncated (IPv4 /24, IPv6 /48).
    pub address: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogPage {
    pub items: Vec<AccessEntry>,
    pub next_cursor: Option<String>,
}

/// The patient's access log, newest first.
pub async fn access_log(
    state: &AppState,
    patient: UserId,
    params: AccessLogParams,
) -> Result<AccessLogPage, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit: must be from 1 to 500".into()));
    }
    let before = params
        .cursor
        .map(|c| {
            crate::journal::paging::decode_cursor(&c)
                .ok_or_else(|| ApiError::BadRequest("cursor: is not a log cursor".into()))
        })
        .transpose()?;
    let mut rows = state
        .db(move |conn| Ok(shares::access_page(conn, &patient, before, limit + 1)?))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| crate::journal::paging::encode_cursor(&(r.at, r.id.clone())))
    } else {
        None
    };
    Ok(AccessLogPage {
        items: rows
            .into_iter()
            .map(|r| AccessEntry {
                at: r.at.and_utc(),
                via: if r.clinician_id.is_some() {
                    "clinician"
                } else {
                    "link"
                }
                .into(),
                share_id: r.share_id,
                viewer: r.viewer,
                what: r.what,
                address: r.address,
            })
            .collect(),
        next_cursor,
    })
}
