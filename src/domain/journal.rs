//! Values of the journal: levels, sets, enums, client ids, instants and local days.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use super::Timezone;

/// A text enum with its wire names; `parse` refuses anything else and lists what is allowed.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(
    /// Where it hurts (sciatica runs from the lower back down one leg).
    Region {
        LowerBack => "lower_back", ButtockLeft => "buttock_left", ButtockRight => "buttock_right",
        HipLeft => "hip_left", HipRight => "hip_right", ThighLeft => "thigh_left",
        ThighRight => "thigh_right", KneeLeft => "knee_left", KneeRight => "knee_right",
        CalfLeft => "calf_left", CalfRight => "calf_right", FootLeft => "foot_left",
        FootRight => "foot_right",
    }
);
text_enum!(
    /// What the pain feels like.
    Quality {
        Aching => "aching", Sharp => "sharp", Shooting => "shooting", Burning => "burning",
        Tingling => "tingling", Numbness => "numbness", Stiffness => "stiffness", Spasm => "spasm",
    }
);
text_enum!(
    /// What the patient thinks set the pain off.
    Trigger {
        Lifting => "lifting", Bending => "bending", Twisting => "twisting",
        ProlongedSitting => "prolonged_sitting", Standing => "standing", Stress => "stress",
        PoorSleep => "poor_sleep", Exercise => "exercise", Weather => "weather", Other => "other",
    }
);
text_enum!(
    DrugClass {
        Opioid => "opioid", Nsaid => "nsaid", Acetaminophen => "acetaminophen",
        Gabapentinoid => "gabapentinoid", MuscleRelaxant => "muscle_relaxant",
        Corticosteroid => "corticosteroid", Other => "other",
    }
);
text_enum!(
    /// The opioid agent, which picks the MME conversion factor.
    Opioid {
        Codeine => "codeine", Hydrocodone => "hydrocodone", Hydromorphone => "hydromorphone",
        Methadone => "methadone", Morphine => "morphine", Oxycodone => "oxycodone",
        Oxymorphone => "oxymorphone", Tapentadol => "tapentadol", Tramadol => "tramadol",
        FentanylPatch => "fentanyl_patch",
    }
);
text_enum!(
    StrengthUnit { Mg => "mg", McgPerHour => "mcg_per_hour" }
);
text_enum!(
    /// What one unit of `quantity` is.
    DoseForm {
        Tablet => "tablet", Capsule => "capsule", LiquidMl => "liquid_ml", Patch => "patch",
        Injection => "injection", Other => "other",
    }
);
text_enum!(
    MassageKind {
        DeepTissue => "deep_tissue", Swedish => "swedish", TriggerPoint => "trigger_point",
        MyofascialRelease => "myofascial_release", Sports => "sports", Shiatsu => "shiatsu",
        SelfMassage => "self_massage", Other => "other",
    }
);
text_enum!(
    Pressure { Light => "light", Medium => "medium", Firm => "firm", Deep => "deep" }
);
text_enum!(
    /// PEG: weekly, 3 items 0–10. ODI: monthly Oswestry Disability Index, 10 items 0–5.
    CheckInKind { Peg => "peg", Odi => "odi" }
);

/// A set of enum values, stored and sent sorted and without repeats.
pub fn parse_set<T: Ord + Copy>(
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<BTreeSet<T>, String> {
    if raw.len() > 64 {
        return Err("has too many values".into());
    }
    raw.iter()
        .map(|value| parse(value).map_err(|reason| format!("{value:?}: {reason}")))
        .collect()
}

/// The JSON text a set is stored as, e.g. `["lower_back","thigh_left"]`.
pub fn set_to_json<T>(set: &BTreeSet<T>, as_str: impl Fn(&T) -> &'static str) -> String {
    serde_json::to_string(&set.iter().map(as_str).collect::<Vec<_>>()).unwrap_or_default()
}

/// Reads a stored JSON array of strings (written by [`set_to_json`]).
pub fn json_to_strings(json: &str) -> Vec<String> {
    if json == "[]" {
        // Most stored sets are empty; a list shows three per row.
        return Vec::new();
    }
    serde_json::from_str(json).unwrap_or_default()
}

/// A 0–10 rating (numeric rating scale).
pub fn parse_level(raw: i64) -> Result<i32, String> {
    if (0..=10).contains(&raw) {
        Ok(raw as i32)
    } else {
        Err("must be a whole number from 0 to 10".into())
    }
}

/// Free text the user wrote: at most `max` characters, stored as sent (no trimming of inner
/// whitespace); blank means none.
pub fn parse_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) if text.chars().count() > max => {
            Err(format!("must be at most {max} characters"))
        }
        Some(text) if text.contains('\0') => Err("must not contain NUL characters".into()),
        Some(text) => Ok(Some(text.to_owned())),
    }
}

pub const NOTES_MAX_CHARS: usize = 4000;

/// An id chosen by the client (WatermelonDB's 16-character ids and UUIDs both fit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let shaped = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1–64 characters of A–Z, a–z, 0–9, '_', '.', '-'".into())
        }
    }

    /// The id a REST client gets when it sends none.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How far ahead of the server clock an instant may be (a phone clock set slightly fast, or
/// an intake logged just ahead); more than this is a mistake.
pub const MAX_FUTURE: chrono::Duration = chrono::Duration::hours(24);

/// An instant in RFC 3339 with an offset, e.g. `2026-11-27T08:30:00+01:00`, as stored: UTC,
/// truncated to microseconds, not before 1900 and not more than a day ahead of `now`.
pub fn parse_instant(raw: &str, now: DateTime<Utc>) -> Result<NaiveDateTime, String> {
    let instant = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| "must be an RFC 3339 time with offset, e.g. 2026-11-27T08:30:00+01:00")?
        .with_timezone(&Utc);
    if instant.year() < 1900 {
        return Err("must not be before 1900".into());
    }
    if instant > now + MAX_FUTURE {
        return Err("must not be more than 24 hours in the future".into());
    }
    Ok(crate::db::truncate_to_micros(instant.naive_utc()))
}

/// The user's calendar day of `instant` (UTC) in `timezone`.
pub fn local_date(instant: NaiveDateTime, timezone: &Timezone) -> NaiveDate {
    instant.and_utc().with_timezone(&timezone.tz()).date_naive()
}

/// A calendar day `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "must be a date like 2026-11-27".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Timezone {
        Timezone::parse("Europe/Berlin").unwrap()
    }

    #[test]
    fn local_days_follow_the_zone_across_dst() {
        // 2026-03-29: Berlin springs forward at 01:00 UTC (02:00 -> 03:00 local).
        let before = parse_instant("2026-03-28T23:30:00Z", Utc::now()).unwrap();
        assert_eq!(local_date(before, &berlin()).to_string(), "2026-03-29");
        let evening_utc = parse_instant("2026-03-29T22:30:00Z", Utc::now()).unwrap();
        // 00:30 CEST on the 30th.
        assert_eq!(local_date(evening_utc, &berlin()).to_string(), "2026-03-30");
        // 2026-10-25: back to CET; 22:30 UTC is 23:30 local, still the 25th.
        let autumn = parse_instant("2026-10-25T22:30:00Z", Utc::now()).unwrap();
        assert_eq!(local_date(autumn, &berlin()).to_string(), "2026-10-25");
    }

    #[test]
    fn instants_need_an_offset_and_a_plausible_time() {
        let now = Utc::now();
        assert!(parse_instant("2026-11-27T08:30:00", now).is_err());
        assert!(parse_instant("1850-01-01T00:00:00Z", now).is_err());
        assert!(parse_instant(&(now + chrono::Duration::days(2)).to_rfc3339(), now).is_err());
        let t = parse_instant("2026-11-27T08:30:00.123456789+01:00", now).unwrap();
        assert_eq!(t.to_string(), "2026-11-27 07:30:00.123456");
    }

    #[test]
    fn client_ids_are_bounded_and_plain() {
        assert!(ClientId::parse("abcdEFGH12345678").is_ok());
        assert!(ClientId::parse("0b6f3c1e-8f0a-4a57-9d55-2f8d1c3b9e10").is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(65), "é"] {
            assert!(ClientId::parse(bad).is_err(), "{bad}");
        }
    }

    /// The OpenAPI document shows the serde names; they must be the names `parse` takes.
    #[test]
    fn documented_enum_names_are_the_parsed_names() {
        fn check<T: serde::Serialize + Copy>(all: &[T], as_str: impl Fn(&T) -> &'static str) {
            for value in all {
                assert_eq!(serde_json::to_value(value).unwrap(), as_str(value));
            }
        }
        check(Region::ALL, Region::as_str);
        check(Quality::ALL, Quality::as_str);
        check(Trigger::ALL, Trigger::as_str);
        check(DrugClass::ALL, DrugClass::as_str);
        check(Opioid::ALL, Opioid::as_str);
        check(StrengthUnit::ALL, StrengthUnit::as_str);
        check(DoseForm::ALL, DoseForm::as_str);
        check(MassageKind::ALL, MassageKind::as_str);
        check(Pressure::ALL, Pressure::as_str);
        check(CheckInKind::ALL, CheckInKind::as_str);
    }

    #[test]
    fn sets_refuse_unknown_values_and_drop_repeats() {
        let set = parse_set(
            &[
                "thigh_left".into(),
                "lower_back".into(),
                "thigh_left".into(),
            ],
            Region::parse,
        )
        .unwrap();
        assert_eq!(
            set_to_json(&set, Region::as_str),
            r#"["lower_back","thigh_left"]"#
        );
        assert!(parse_set(&["elbow".into()], Region::parse).is_err());
    }
}
