//! An instant as the API shows it: RFC 3339 in UTC, written straight into the answer; and a
//! calendar day, likewise.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant shown as RFC 3339 in UTC, with as many fraction digits as it needs (none, 3, 6
/// or 9: chrono's `SecondsFormat::AutoSi`), e.g. `2026-11-20T07:30:00Z`.
///
/// Views hold this rather than the formatted text: a list of 50 entries shows 150 instants,
/// and formatting each into a `String` of its own was a measurable part of a list's CPU (an
/// allocation and chrono's general formatter per instant). Serialised, it is written into the
/// answer's buffer without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub NaiveDateTime);

impl Instant {
    /// The text, in a stack buffer when the year has four digits (every instant a journal
    /// holds), else from chrono's general formatter.
    fn written(&self) -> Written {
        let (date, time) = (self.0.date(), self.0.time());
        if !(0..=9999).contains(&date.year()) || time.nanosecond() >= 1_000_000_000 {
            // RFC 3339 has four-digit years only, and a leap second is chrono's to show:
            // the general formatter handles both the way it always has.
            return Written::Chrono(
                self.0
                    .and_utc()
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true),
            );
        }
        let mut digits = Digits::default();
        digits.date(date);
        digits.byte(b'T');
        digits.push(time.hour(), 2);
        digits.byte(b':');
        digits.push(time.minute(), 2);
        digits.byte(b':');
        digits.push(time.second(), 2);
        let nanos = time.nanosecond();
        if nanos != 0 {
            digits.byte(b'.');
            match (nanos % 1_000_000, nanos % 1_000) {
                (0, _) => digits.push(nanos / 1_000_000, 3),
                (_, 0) => digits.push(nanos / 1_000, 6),
                _ => digits.push(nanos, 9),
            }
        }
        digits.byte(b'Z');
        Written::Digits(digits)
    }
}

enum Written {
    Digits(Digits),
    Chrono(String),
}

impl Written {
    fn as_str(&self) -> &str {
        match self {
            Written::Digits(digits) => digits.as_str(),
            Written::Chrono(text) => text,
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.written().as_str())
    }
}

/// Serialises a calendar day as `YYYY-MM-DD`, the text chrono writes, straight from a stack
/// buffer: chrono's own `Serialize` writes a day a character or two at a time through the
/// formatter, each piece escaped on its own (about 900 instructions a day; a list of 50 shows
/// 50). For a view's `local_date`: `#[serde(serialize_with = "…::serialize_date")]`.
pub fn serialize_date<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    if !(0..=9999).contains(&date.year()) {
        return serializer.collect_str(date);
    }
    let mut digits = Digits::default();
    digits.date(*date);
    serializer.serialize_str(digits.as_str())
}

/// A stack buffer for one formatted instant (at most 30 bytes, all ASCII).
#[derive(Default)]
struct Digits {
    bytes: [u8; 32],
    len: usize,
}

impl Digits {
    fn byte(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// `value` as exactly `width` decimal digits, zero-padded.
    fn push(&mut self, mut value: u32, width: usize) {
        for slot in self.bytes[self.len..self.len + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += width;
    }

    /// `YYYY-MM-DD`, for a year of four digits.
    fn date(&mut self, date: NaiveDate) {
        self.push(date.year() as u32, 4);
        self.byte(b'-');
        self.push(date.month(), 2);
        self.byte(b'-');
        self.push(date.day(), 2);
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and separators were written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.written().as_str())
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| Instant(instant.naive_utc()))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_text(instant: NaiveDateTime) -> String {
        instant
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn writes_what_chronos_rfc3339_writes() {
        let base = DateTime::from_timestamp(1_795_000_000, 0)
            .unwrap()
            .naive_utc();
        let mut instants = vec![
            base,
            DateTime::UNIX_EPOCH.naive_utc(),
            DateTime::from_timestamp(-62_167_219_200, 0)
                .unwrap()
                .naive_utc(), // 0000-01-01
            DateTime::from_timestamp(253_402_300_799, 999_999_999)
                .unwrap()
                .naive_utc(), // 9999-12-31T23:59:59.999999999
            DateTime::from_timestamp(253_402_300_800, 0)
                .unwrap()
                .naive_utc(), // year 10000
            DateTime::from_timestamp(-62_167_219_201, 0)
                .unwrap()
                .naive_utc(), // year -1
        ];
        for nanos in [
            1,
            10,
            999,
            1_000,
            120_000,
            123_000_000,
            100_000_000,
            999_999_999,
        ] {
            instants.push(base + chrono::Duration::nanoseconds(nanos));
        }
        // A spread of days and times over four centuries, with every fraction shape.
        for step in 0..5_000i64 {
            let seconds = step * 2_524_607 + step * step * 7;
            let nanos = [0, 5_000_000, 250_000, 7][(step % 4) as usize];
            instants.push(
                DateTime::from_timestamp(seconds - 4_000_000_000, nanos)
                    .unwrap()
                    .naive_utc(),
            );
        }
        for instant in instants {
            let ours = Instant(instant);
            assert_eq!(ours.to_string(), chrono_text(instant), "{instant:?}");
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                format!("\"{}\"", chrono_text(instant))
            );
        }
    }

    #[derive(Serialize)]
    struct Dated {
        #[serde(serialize_with = "serialize_date")]
        day: NaiveDate,
    }

    #[test]
    fn writes_days_as_chrono_does() {
        let mut days: Vec<NaiveDate> = (0..200_000)
            .step_by(7)
            .map(|n| NaiveDate::from_ymd_opt(1600, 1, 1).unwrap() + chrono::Duration::days(n))
            .collect();
        days.extend([
            NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
        ]);
        for day in days {
            assert_eq!(
                serde_json::to_string(&Dated { day }).unwrap(),
                format!("{{\"day\":{}}}", serde_json::to_string(&day).unwrap()),
                "{day}"
            );
        }
    }

    #[test]
    fn reads_back_what_it_writes_and_refuses_other_text() {
        let instant = Instant(
            DateTime::from_timestamp(1_795_000_000, 250_000_000)
                .unwrap()
                .naive_utc(),
        );
        let json = serde_json::to_string(&instant).unwrap();
        assert_eq!(serde_json::from_str::<Instant>(&json).unwrap(), instant);
        let from_offset: Instant = serde_json::from_str("\"2026-11-20T08:30:00+01:00\"").unwrap();
        assert_eq!(from_offset.to_string(), "2026-11-20T07:30:00Z");
        assert!(serde_json::from_str::<Instant>("\"2026-11-20\"").is_err());
        assert!(serde_json::from_str::<Instant>("42").is_err());
    }
}
