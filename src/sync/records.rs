//! The wire shape of a synced record (WatermelonDB columns hold only strings, numbers and
//! booleans): instants as epoch milliseconds, sets and item lists as JSON text.

use chrono::DateTime;
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
/// unknown columns are ignored.
pub fn from_wire<R: SyncTable>(
    id: &str,
    record: &Map<String, Value>,
) -> Result<R::Input, FieldError> {
    let mut input = Map::new();
    input.insert("id".into(), Value::String(id.to_owned()));
    for field in R::INPUT_FIELDS {
        let Some(value) = record.get(*field) else {
            continue;
        };
        let converted = if R::INSTANT_FIELDS.contains(field) {
            Some(millis_to_rfc3339(value))
        } else if R::JSON_TEXT_FIELDS.contains(field) {
            json_text_to_list(value).transpose()
        } else {
            Some(Ok(value.clone()))
        };
        match converted {
            Some(Ok(value)) => {
                input.insert((*field).to_owned(), value);
            }
            Some(Err(reason)) => return Err(FieldError::new(*field, reason)),
            None => {}
        }
    }
    serde_json::from_value(Value::Object(input)).map_err(|e| {
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
