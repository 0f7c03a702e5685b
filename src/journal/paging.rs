//! List parameters and keyset pagination with a cursor.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::journal::ListFilter;
use crate::domain::journal::{parse_date, ClientId};
use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// Query parameters of the lists of dated entries.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// First local day to include, `YYYY-MM-DD` (the user's calendar day, not an instant).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last local day to include, `YYYY-MM-DD`; before `from`, the list is empty.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Page size (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^-?[0-9]{1,16}~[A-Za-z0-9_.-]{1,64}$")]
    pub cursor: Option<String>,
}

/// Query parameters of the medication list, which has no days.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UndatedListParams {
    /// Page size (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^-?[0-9]{1,16}~[A-Za-z0-9_.-]{1,64}$")]
    pub cursor: Option<String>,
}

impl From<UndatedListParams> for ListParams {
    fn from(params: UndatedListParams) -> Self {
        ListParams {
            from: None,
            to: None,
            limit: params.limit,
            cursor: params.cursor,
        }
    }
}

/// A page of a list, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: serde::Serialize> Page<T> {
    /// The page as a 200 JSON answer, written into a buffer sized for it up front: serde_json's
    /// own starts at 128 bytes and grows by doubling, copying a page of 50 rows about twelve
    /// times on the way.
    pub fn into_response(self) -> Result<actix_web::HttpResponse, ApiError> {
        const BYTES_PER_ROW: usize = 512;
        let mut body = Vec::with_capacity(64 + BYTES_PER_ROW * self.items.len());
        serde_json::to_writer(&mut body, &self).map_err(ApiError::internal)?;
        Ok(actix_web::HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(body))
    }
}

impl<T> crate::auth::Found for Page<T> {
    fn is_nothing(&self) -> bool {
        self.items.is_empty()
    }
}

impl ListParams {
    /// The filter and page size; `from` after `to` is a valid, empty range.
    pub fn parse(self) -> Result<(ListFilter, i64), ApiError> {
        let bad = |what: &str, why: &str| ApiError::BadRequest(format!("{what}: {why}"));
        let date = |raw: Option<String>, name: &str| {
            raw.map(|raw| parse_date(&raw).map_err(|why| bad(name, &why)))
                .transpose()
        };
        let from = date(self.from, "from")?;
        let to = date(self.to, "to")?;
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(bad("limit", "must be from 1 to 1000"));
        }
        let before = self
            .cursor
            .map(|c| decode_cursor(&c).ok_or_else(|| bad("cursor", "is not a list cursor")))
            .transpose()?;
        Ok((ListFilter { from, to, before }, limit))
    }
}

/// The cursor is the last row's position: its time in µs since 1970 and its id, as
/// `<micros>~<id>`. Every string of that shape is a valid position (keyset paging, stable
/// under inserts), so the documented pattern is exactly what is accepted.
pub fn encode_cursor((time, id): &(NaiveDateTime, String)) -> String {
    format!("{}~{id}", time.and_utc().timestamp_micros())
}

pub fn decode_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let (micros, id) = cursor.split_once('~')?;
    let digits = micros.strip_prefix('-').unwrap_or(micros);
    let plain_digits =
        (1..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if !plain_digits {
        return None;
    }
    let id = ClientId::parse(id).ok()?;
    let time = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some((time, id.as_str().to_owned()))
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
        let before_1970 = (
            chrono::DateTime::from_timestamp_micros(-1_000_000)
                .unwrap()
                .naive_utc(),
            "old".to_owned(),
        );
        assert_eq!(
            decode_cursor(&encode_cursor(&before_1970)),
            Some(before_1970)
        );
        for bad in [
            "!!!",
            "x~y",
            "1~",
            "~a",
            "+1~a",
            "12345678901234567~a",
            "1~a b",
            "1:a",
        ] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
        // The extremes of the documented shape are valid positions.
        assert!(decode_cursor("9999999999999999~a").is_some());
        assert!(decode_cursor("-9999999999999999~a").is_some());
    }
}
