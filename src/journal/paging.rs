//! List parameters and keyset pagination with an opaque cursor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::journal::ListFilter;
use crate::domain::journal::parse_date;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// Query parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// First local day to include, `YYYY-MM-DD` (the user's calendar day, not an instant).
    pub from: Option<String>,
    /// Last local day to include, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of a list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl ListParams {
    pub fn parse(self, dated: bool) -> Result<(ListFilter, i64), ApiError> {
        let bad = |what: &str, why: &str| ApiError::BadRequest(format!("{what}: {why}"));
        if !dated && (self.from.is_some() || self.to.is_some()) {
            return Err(bad("from/to", "this list has no dates"));
        }
        let date = |raw: Option<String>, name: &str| {
            raw.map(|raw| parse_date(&raw).map_err(|why| bad(name, &why)))
                .transpose()
        };
        let from = date(self.from, "from")?;
        let to = date(self.to, "to")?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(bad("from", "must not be after to"));
            }
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(bad("limit", "must be from 1 to 1000"));
        }
        let before = self
            .cursor
            .map(|c| {
                decode_cursor(&c).ok_or_else(|| bad("cursor", "is not a cursor from this list"))
            })
            .transpose()?;
        Ok((ListFilter { from, to, before }, limit))
    }
}

/// The cursor is the last row's (time in µs, id), base64url: opaque to clients, stable
/// under inserts (keyset, not offset).
pub fn encode_cursor((time, id): &(NaiveDateTime, String)) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", time.and_utc().timestamp_micros()))
}

fn decode_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (micros, id) = text.split_once(':')?;
    let time = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some((time, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = (
            chrono::DateTime::from_timestamp_micros(1_795_000_000_123_456)
                .unwrap()
                .naive_utc(),
            "abc-1".to_owned(),
        );
        assert_eq!(decode_cursor(&encode_cursor(&key)), Some(key));
        assert_eq!(decode_cursor("!!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:y")), None);
    }
}
