//! The wire shape of a synced record (WatermelonDB columns hold only strings, numbers and
//! booleans): instants as epoch milliseconds, sets and item lists as JSON text.

use chrono::DateTime;
use serde::de::value::MapDeserializer;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::SyncTable;
use crate::domain::FieldError;

/// Fields every record has in pulls besides its own: shown as epoch milliseconds.
const BOOKKEEPING_INSTANTS: &[&str] = &["created_at", "updated_at"];

/// A row's API view as a pulled record.
pub fn to_wire<R: SyncTable>(view: &R::View) -> Value {
    let mut value = serde_json::to_value(view).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        for field in R::INSTANT_FIELDS.iter().chain(BOOKKEEPING_INSTANTS) {
            if let Some(Value::String(text)) = object.get(*field) {
                let millis = DateTime::parse_from_rfc3339(text)
                    .map(|t| t.timestamp_millis())
                    .ok();
                object.insert((*field).to_owned(), millis.map_or(Value::Null, Value::from));
            }
        }
        for field in R::JSON_TEXT_FIELDS {
            if let Some(list) = object.get(*field) {
                let text = list.to_string();
                object.insert((*field).to_owned(), Value::String(text));
            }
        }
    }
    value
}

fn millis_to_rfc3339(value: &Value) -> Result<Value, String> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => {
            let millis = n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or("must be whole epoch milliseconds")?;
            let instant = DateTime::from_timestamp_millis(millis).ok_or("is out of range")?;
            Ok(Value::String(instant.to_rfc3339()))
        }
        _ => Err("must be epoch milliseconds (a number)".into()),
    }
}

fn json_text_to_list(value: &Value) -> Result<Option<Value>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.is_empty() => Ok(None),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(list @ Value::Array(_)) => Ok(Some(list)),
            _ => Err("must be a JSON array in a string, e.g. \"[\\\"lower_back\\\"]\"".into()),
        },
        Value::Array(_) => Ok(Some(value.clone())),
        _ => Err("must be a JSON array in a string".into()),
    }
}

/// A pushed record as the REST input it stands for. `_status`, `_changed`, derived fields and
/// unknown columns are ignored. The input is read straight from the record's own values (only
/// instants and lists, which change shape, are converted first): a push reads thousands of
/// records, and copying each into a map of its own cost more than reading it.
pub fn from_wire<R: SyncTable>(
    id: &str,
    record: &Map<String, Value>,
) -> Result<R::Input, FieldError> {
    let mut converted: Vec<(&str, Value)> = Vec::new();
    for field in R::INSTANT_FIELDS.iter().chain(R::JSON_TEXT_FIELDS) {
        let Some(value) = record.get(*field) else {
            continue;
        };
        let value = if R::INSTANT_FIELDS.contains(field) {
            millis_to_rfc3339(value).map(Some)
        } else {
            json_text_to_list(value)
        };
        match value {
            Ok(Some(value)) => converted.push((field, value)),
            Ok(None) => {}
            Err(reason) => return Err(FieldError::new(*field, reason)),
        }
    }
    let id = Value::String(id.to_owned());
    let fields = std::iter::once(("id", &id)).chain(R::INPUT_FIELDS.iter().filter_map(|field| {
        if R::INSTANT_FIELDS.contains(field) || R::JSON_TEXT_FIELDS.contains(field) {
            converted
                .iter()
                .find(|(name, _)| name == field)
                .map(|(name, value)| (*name, value))
        } else {
            record.get(*field).map(|value| (*field, value))
        }
    }));
    let fields = MapDeserializer::<_, serde_json::Error>::new(fields);
    R::Input::deserialize(fields).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.starts_with("missing field"))
            .unwrap_or("record")
            .to_owned();
        FieldError::new(field, message)
    })
}
