//! Whole numbers as JSON Schema counts them: `4` and `4.0` are the same integer, so a client
//! (or a JavaScript runtime, which has no integer type) may send either. Used with
//! `#[serde(deserialize_with = …)]` on integer fields of request bodies.

use serde::de::{Deserializer, Error};
use serde::Deserialize;

fn to_whole<E: Error>(value: serde_json::Number) -> Result<i64, E> {
    if let Some(whole) = value.as_i64() {
        return Ok(whole);
    }
    // Every float from 2^52 up is a whole number (and parsing may land on a neighbour of
    // the one sent); casts saturate, so a huge one fails the field's range check later.
    match value.as_f64() {
        Some(float) if float.fract() == 0.0 || float.abs() >= 4_503_599_627_370_496.0 => {
            Ok(float.round() as i64)
        }
        _ => Err(E::custom(format!("expected a whole number, got {value}"))),
    }
}

pub fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    to_whole(serde_json::Number::deserialize(deserializer)?)
}

pub fn optional_whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Option::<serde_json::Number>::deserialize(deserializer)?
        .map(to_whole)
        .transpose()
}

pub fn optional_wholes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Option<i64>>, D::Error> {
    Vec::<Option<serde_json::Number>>::deserialize(deserializer)?
        .into_iter()
        .map(|item| item.map(to_whole).transpose())
        .collect()
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "super::whole")]
        level: i64,
        #[serde(default, deserialize_with = "super::optional_whole")]
        other: Option<i64>,
    }

    #[test]
    fn integral_floats_are_whole_numbers_and_fractions_are_not() {
        let read = |json: &str| serde_json::from_str::<Sample>(json).map(|s| (s.level, s.other));
        assert_eq!(read(r#"{"level": 4}"#).unwrap(), (4, None));
        assert_eq!(
            read(r#"{"level": 4.0, "other": 2.0}"#).unwrap(),
            (4, Some(2))
        );
        assert_eq!(
            read(r#"{"level": -0.0, "other": null}"#).unwrap(),
            (0, None)
        );
        assert!(read(r#"{"level": 4.5}"#).is_err());
        assert_eq!(read(r#"{"level": 1e300}"#).unwrap().0, i64::MAX);
        assert!(read(r#"{"level": "4"}"#).is_err());
    }
}
