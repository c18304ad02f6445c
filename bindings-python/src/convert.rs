//! Conversions between Python objects and the core's JSON values, decimals and times.

use jiff::Timestamp;
use jiff::civil::Date;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

use crate::errors::invalid_request;

/// Nesting deeper than this is rejected, so a cyclic structure fails instead of overflowing the stack.
const MAX_DEPTH: usize = 128;

/// Converts a Python value (dict, list, str, int, float, bool, None, or a
/// pydantic model) to JSON; `path` names the value in error messages.
pub fn to_json(value: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    to_json_at(value, path, 0)
}

fn to_json_at(value: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid_request(
            value.py(),
            format!("`{path}` is nested more than {MAX_DEPTH} levels deep; pass plain JSON data"),
        ));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(number) = value.extract::<i64>() {
            return Ok(Value::from(number));
        }
        if let Ok(number) = value.extract::<u64>() {
            return Ok(Value::from(number));
        }
        return Err(invalid_request(
            value.py(),
            format!("`{path}` is an integer outside the 64-bit range"),
        ));
    }
    if let Ok(number) = value.cast::<PyFloat>() {
        return Number::from_f64(number.value())
            .map(Value::Number)
            .ok_or_else(|| {
                invalid_request(
                    value.py(),
                    format!("`{path}` is a non-finite float; JSON has no NaN or infinity"),
                )
            });
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.to_str()?.to_string()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = Map::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(invalid_request(
                    value.py(),
                    format!(
                        "`{path}` has a key of type `{}`; JSON keys are strings",
                        type_name(&key)
                    ),
                ));
            };
            let key = key.to_str()?;
            let child = to_json_at(&item, &format!("{path}.{key}"), depth + 1)?;
            object.insert(key.to_string(), child);
        }
        return Ok(Value::Object(object));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return sequence_to_json(list.iter(), list.len(), path, depth);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return sequence_to_json(tuple.iter(), tuple.len(), path, depth);
    }

    // SDK response objects (OpenAI, Anthropic) are pydantic models.
    if value.hasattr("model_dump")? {
        let kwargs = PyDict::new(value.py());
        kwargs.set_item("exclude_none", true)?;
        let dumped = value.call_method("model_dump", (), Some(&kwargs))?;
        return to_json_at(&dumped, path, depth + 1);
    }
    Err(invalid_request(
        value.py(),
        format!(
            "`{path}` is a `{}`; expected a dict, list, str, int, float, bool, None or a pydantic model",
            type_name(value)
        ),
    ))
}

fn sequence_to_json<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    len: usize,
    path: &str,
    depth: usize,
) -> PyResult<Value> {
    let mut array = Vec::with_capacity(len);
    for (index, item) in items.enumerate() {
        array.push(to_json_at(&item, &format!("{path}[{index}]"), depth + 1)?);
    }
    Ok(Value::Array(array))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// Converts JSON to plain Python values: dict, list, str, int, float, bool and None.
pub fn from_json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                integer.into_pyobject(py)?.into_any()
            } else if let Some(integer) = number.as_u64() {
                integer.into_pyobject(py)?.into_any()
            } else {
                number
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(object) => {
            let dict = PyDict::new(py);
            for (key, item) in object {
                dict.set_item(key, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Converts an exact decimal to `decimal.Decimal` through its string form.
pub fn decimal<'py>(py: Python<'py>, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((value.to_string(),))
}

/// Converts an instant to an aware `datetime.datetime` in UTC (microsecond precision).
pub fn datetime<'py>(py: Python<'py>, value: Timestamp) -> PyResult<Bound<'py, PyAny>> {
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let utc = UTC.import(py, "datetime", "UTC")?;
    let civil = jiff::tz::TimeZone::UTC.to_datetime(value);
    DATETIME.import(py, "datetime", "datetime")?.call1((
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second(),
        civil.subsec_nanosecond() / 1000,
        utc,
    ))
}

/// Converts an RFC 3339 timestamp string (as in call records) to a `datetime`.
pub fn datetime_from_str<'py>(py: Python<'py>, value: &str) -> PyResult<Bound<'py, PyAny>> {
    match value.parse::<Timestamp>() {
        Ok(timestamp) => datetime(py, timestamp),
        Err(_) => Ok(py.None().into_bound(py)),
    }
}

/// Converts an aware `datetime.datetime` to an instant.
pub fn timestamp_from(value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    let offset = value.call_method0("utcoffset")?;
    if offset.is_none() {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "expected an aware datetime; pass one with a tzinfo, for example datetime.now(UTC)",
        ));
    }
    // calendar.timegm reads the UTC fields as integers, so no float rounding moves the second.
    static TIMEGM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let fields = value.call_method0("utctimetuple")?;
    let seconds: i64 = TIMEGM
        .import(value.py(), "calendar", "timegm")?
        .call1((fields,))?
        .extract()?;
    let micros: i32 = value.getattr("microsecond")?.extract()?;
    Timestamp::new(seconds, micros * 1000).map_err(|error| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "datetime is outside the supported range: {error}; pass a time between the years -9999 and 9999"
        ))
    })
}

/// Converts a civil date to `datetime.date`.
pub fn date<'py>(py: Python<'py>, value: Date) -> PyResult<Bound<'py, PyAny>> {
    static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DATE.import(py, "datetime", "date")?
        .call1((value.year(), value.month(), value.day()))
}
