//! The patient's side of sharing (create, list, revoke) and the clinician's redeeming of a
//! code.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::secrets;
use super::{Kind, Scope};
use crate::db::{self, shares};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;

/// Days a grant lasts when the patient names none, and the most it may last.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_DAYS: i64 = 365;
/// An unredeemed code dies after this long.
pub const CODE_REDEEM_HOURS: i64 = 24;
/// Wrong codes allowed per clinician and per address in one window before 429.
pub const MAX_WRONG_CODES: i32 = 5;
pub const WRONG_CODE_WINDOW_MINUTES: i64 = 15;

/// A grant to be made (already validated).
#[derive(Debug, Clone)]
pub struct NewShare {
    pub kind: Kind,
    pub scope: Scope,
    pub label: String,
    pub days: i64,
}

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A code nobody has redeemed yet (and may still).
    Waiting,
    /// Working: a redeemed code or a link, before its expiry.
    Active,
    Expired,
    Revoked,
}

/// A grant as its patient sees it. The code or link appears only in the answer that made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Share {
    pub id: String,
    pub kind: Kind,
    pub scope: Scope,
    pub label: String,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// A code: when it stops being redeemable if nobody redeems it.
    pub redeem_by: Option<DateTime<Utc>>,
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The clinician who redeemed the code (name, or email when they gave none).
    pub clinician: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_access_at: Option<DateTime<Utc>>,
}

/// The answer to creating a grant: the grant, and once only, its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedShare {
    #[serde(flatten)]
    pub share: Share,
    /// `kind: code`: the code to hand over, `XXXX-XXXX-XXXX`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `kind: link`: the page's path, `/s/<token>` …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// … and as a full URL on the host this request was sent to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

fn status(row: &shares::GrantRow, now: NaiveDateTime) -> Status {
    if row.revoked_at.is_some() {
        Status::Revoked
    } else if row.expires_at <= now {
        Status::Expired
    } else if row.kind == Kind::Code.as_str() && row.redeemed_at.is_none() {
        match row.redeem_by {
            Some(by) if by > now => Status::Waiting,
            _ => Status::Expired,
        }
    } else if row.kind == Kind::Code.as_str() && row.clinician_id.is_none() {
        // The clinician erased their account.
        Status::Expired
    } else {
        Status::Active
    }
}

fn view(
    row: &shares::GrantRow,
    clinician: Option<String>,
    now: NaiveDateTime,
) -> Result<Share, ApiError> {
    Ok(Share {
        id: row.id.clone(),
        kind: Kind::parse(&row.kind).ok_or_else(|| ApiError::internal("stored share kind"))?,
        scope: Scope::parse(&row.scope).ok_or_else(|| ApiError::internal("stored share scope"))?,
        label: row.label.clone(),
        status: status(row, now),
        created_at: utc(row.created_at),
        expires_at: utc(row.expires_at),
        redeem_by: row.redeem_by.map(utc),
        redeemed_at: row.redeemed_at.map(utc),
        clinician,
        revoked_at: row.revoked_at.map(utc),
        last_access_at: row.last_access_at.map(utc),
    })
}

/// Makes a grant; `origin` (scheme and host of the request) makes the link's full URL.
pub async fn create(
    state: &AppState,
    patient: UserId,
    new: NewShare,
    origin: String,
) -> Result<CreatedShare, ApiError> {
    let secret = match new.kind {
        Kind::Code => secrets::new_code(),
        Kind::Link => secrets::new_link_token(),
    };
    let hashed = match new.kind {
        Kind::Code => secrets::hash(&secret.replace('-', "")),
        Kind::Link => secrets::hash(&secret),
    };
    let now = db::now();
    let row = shares::GrantRow {
        user_id: patient.to_string(),
        id: uuid::Uuid::new_v4().to_string(),
        kind: new.kind.as_str().into(),
        scope: new.scope.as_str().into(),
        label: new.label,
        secret_hash: hashed,
        clinician_id: None,
        redeem_by: (new.kind == Kind::Code).then(|| now + Duration::hours(CODE_REDEEM_HOURS)),
        redeemed_at: None,
        expires_at: now + Duration::days(new.days),
        revoked_at: None,
        last_access_at: None,
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    state
        .db(move |conn| Ok(shares::insert(conn, &stored)?))
        .await?;
    let share = view(&row, None, now)?;
    Ok(match new.kind {
        Kind::Code => CreatedShare {
            share,
            code: Some(secret),
            path: None,
            url: None,
        },
        Kind::Link => {
            let path = format!("/s/{secret}");
            CreatedShare {
                share,
                code: None,
                url: Some(format!("{origin}{path}")),
                path: Some(path),
            }
        }
    })
}

/// The patient's grants, newest first, each with its clinician's name once redeemed.
pub async fn list(state: &AppState, patient: UserId) -> Result<Vec<Share>, ApiError> {
    let now = db::now();
    let (rows, names) = state
        .db(move |conn| {
            conn.read_transaction(|conn| {
                let rows = shares::list(conn, &patient)?;
                // One query for all the clinicians' names, not one per grant.
                let mut ids: Vec<&str> = rows
                    .iter()
                    .filter_map(|r| r.clinician_id.as_deref())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let names = db::users::shown_names(conn, &ids)?;
                Ok::<_, ApiError>((rows, names))
            })
        })
        .await?;
    rows.iter()
        .map(|row| {
            let clinician = row
                .clinician_id
                .as_ref()
                .and_then(|id| names.get(id).cloned());
            view(row, clinician, now)
        })
        .collect()
}

/// Ends a grant at once; revoking it again is fine, another patient's grant is 404.
pub async fn revoke(state: &AppState, patient: UserId, id: String) -> Result<(), ApiError> {
    let found = state
        .db(move |conn| {
            conn.write_transaction(|conn| Ok(shares::revoke(conn, &patient, &id, db::now())?))
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The patient a redeemed code now links the clinician to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redeemed {
    pub patient_id: String,
    pub display_name: Option<String>,
    pub scope: Scope,
    pub expires_at: DateTime<Utc>,
}

fn throttle_subjects(clinician: &UserId, address: &Option<String>) -> Vec<String> {
    let mut subjects = vec![format!("clinician:{clinician}")];
    if let Some(address) = address {
        subjects.push(format!("address:{address}"));
    }
    subjects
}

/// Redeems a typed code into the clinician's account. A wrong, used, revoked or expired code
/// answers alike (404) and counts against the clinician and the address; after
/// [`MAX_WRONG_CODES`] in a window, 429 until it closes.
pub async fn redeem(
    state: &AppState,
    clinician: UserId,
    typed: String,
    address: Option<String>,
) -> Result<Redeemed, ApiError> {
    state
        .db(move |conn| {
            let now = db::now();
            let window = Duration::minutes(WRONG_CODE_WINDOW_MINUTES);
            let subjects = throttle_subjects(&clinician, &address);
            for subject in &subjects {
                if let Some((failures, started)) = shares::failures(conn, subject, now - window)? {
                    if failures >= MAX_WRONG_CODES {
                        let wait = (started + window - now).num_seconds().max(1);
                        return Err(ApiError::TooManyRequests {
                            retry_after_secs: wait as u64,
                        });
                    }
                }
            }
            let redeemed = conn.write_transaction(|conn| {
                let Some(code) = secrets::normalise_code(&typed) else {
                    return Ok(None);
                };
                let Some(grant) = shares::find_by_secret(conn, &secrets::hash(&code))? else {
                    return Ok(None);
                };
                if !shares::redeem(conn, &grant, &clinician, now)? {
                    return Ok(None);
                }
                let patient = db::users::find(conn, &UserId::from_trusted(grant.user_id.clone()))?;
                Ok::<_, ApiError>(Some(Redeemed {
                    patient_id: grant.user_id,
                    display_name: patient.display_name,
                    scope: Scope::parse(&grant.scope)
                        .ok_or_else(|| ApiError::internal("stored share scope"))?,
                    expires_at: utc(grant.expires_at),
                }))
            })?;
            match redeemed {
                Some(redeemed) => Ok(redeemed),
                None => {
                    conn.write_transaction(|conn| {
                        for subject in &subjects {
                            let owner = subject.starts_with("clinician:").then_some(&clinician);
                            shares::record_failure(conn, subject, owner, now, window)?;
                        }
                        Ok::<_, ApiError>(())
                    })?;
                    Err(ApiError::NotFound)
                }
            }
        })
        .await
}
