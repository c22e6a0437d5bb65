//! Reading JSON request bodies: media type, size limit, syntax and shape, each with its own
//! problem response that says what to fix.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::domain::validation::FieldError;

/// A JSON body as received: the parsed value and its canonical fingerprint.
pub struct JsonBody {
    /// The parsed document.
    pub value: serde_json::Value,
    /// SHA-256 (hex) of the canonical form (keys sorted, no insignificant white space), so
    /// two bodies that mean the same JSON have the same fingerprint.
    pub fingerprint: String,
}

/// The JSON body of a request whose body is optional: a request without a body (no
/// `Content-Type`, and no or a zero `Content-Length`) is `T::default()`; any other is read
/// and checked as [`read_json`] and [`parse`] do.
pub async fn optional_json<T: DeserializeOwned + Default>(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let headers = request.headers();
    let empty =
        headers.get(header::CONTENT_LENGTH).is_none_or(|v| v == "0") && headers.get(header::CONTENT_TYPE).is_none();
    if empty { Ok(T::default()) } else { parse(read_json(request, payload, limit).await?.value) }
}

/// Reads the body of a JSON request of at most `limit` bytes.
pub async fn read_json(request: &HttpRequest, payload: web::Payload, limit: usize) -> Result<JsonBody, ApiError> {
    check_media_type(request)?;
    let bytes = read_limited(request, payload, limit).await?;
    if bytes.is_empty() {
        return Err(ApiError::MalformedBody("the request body is empty; send a JSON object".into()));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::MalformedBody(format!("the body is not valid JSON (line {}, column {}): {e}", e.line(), e.column()))
    })?;
    if !value.is_object() {
        return Err(ApiError::MalformedBody("the body must be a JSON object".into()));
    }
    let fingerprint = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    Ok(JsonBody { value, fingerprint })
}

/// Reads a request body of at most `limit` bytes as it is (a `413` beyond that).
pub async fn read_limited(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    if let Some(length) = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::MalformedBody(format!("the request body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn check_media_type(request: &HttpRequest) -> Result<(), ApiError> {
    const HINT: &str = "send the body as JSON with the header Content-Type: application/json";
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(format!("the request has no Content-Type; {HINT}")));
    };
    let text = value.to_str().unwrap_or_default().to_ascii_lowercase();
    let mut parts = text.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let is_json = essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
    let charset_ok = parts.all(|p| !p.starts_with("charset=") || matches!(p, "charset=utf-8" | "charset=\"utf-8\""));
    if is_json && charset_ok {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!("Content-Type '{text}' is not accepted; {HINT} (UTF-8)")))
    }
}

/// Converts a JSON document into `T`, turning a shape error (unknown field, missing field,
/// wrong type) into a validation problem that points at the field.
pub fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = String::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } | serde_path_to_error::Segment::Enum { variant: key } => {
                    pointer.push('/');
                    pointer.push_str(&crate::domain::category::pointer_escape(key));
                }
                serde_path_to_error::Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let message = error.inner().to_string();
        let detail = if let Some(field) = quoted_name(&message, "missing field `") {
            pointer = format!("{pointer}/{field}");
            format!("'{field}' is required")
        } else if let Some(field) = quoted_name(&message, "unknown field `") {
            if !pointer.ends_with(&format!("/{field}")) {
                pointer = format!("{pointer}/{field}");
            }
            let expected =
                message.split_once(", expected ").map(|(_, rest)| rest.replace('`', "'")).unwrap_or_default();
            format!("'{field}' is not a known field; remove it (expected {expected})")
        } else {
            format!("wrong type: {}", message.replace('`', "'"))
        };
        ApiError::Validation(vec![FieldError { pointer, detail }])
    })
}

fn quoted_name<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix).and_then(|rest| rest.split('`').next())
}

/// Deserializes a struct only from a JSON object. serde's derive also accepts an array of
/// the field values in order, which for a location would silently take GeoJSON's
/// `[lon, lat]` as `[lat, lon]`.
pub fn object_only<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct ObjectVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
}

/// [`object_only`] for an optional field: `null` or absent is `None`.
pub fn optional_object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct OptionVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a JSON object or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, deserializer: D2) -> Result<Option<T>, D2::Error> {
            object_only(deserializer).map(Some)
        }
    }
    deserializer.deserialize_option(OptionVisitor(std::marker::PhantomData))
}

/// Reads a JSON object from bytes (a multipart `report` part): the same checks and
/// fingerprint as [`read_json`].
pub fn json_from_bytes(bytes: &[u8], part: &str) -> Result<JsonBody, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::MalformedBody(format!("the '{part}' part is empty; send a JSON object")));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::MalformedBody(format!(
            "the '{part}' part is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(ApiError::MalformedBody(format!("the '{part}' part must be a JSON object")));
    }
    let fingerprint = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    Ok(JsonBody { value, fingerprint })
}
