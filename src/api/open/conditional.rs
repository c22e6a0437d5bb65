//! Answers of the open-data API with a strong ETag (a hash of the body), conditional GET
//! and a short public cache lifetime.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// How long caches may keep an open-data answer (the grids are read again after a minute).
pub const CACHE_CONTROL: &str = "public, max-age=60";

/// The ETag of a body.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(digest.get(..16).unwrap_or_default()))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
pub fn matches(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag || tag.trim() == "*"))
}

/// `200` with `body`, or `304` when the client's copy is current; `file_name` makes it a
/// download.
pub fn answer(request: &HttpRequest, content_type: &str, body: Vec<u8>, file_name: Option<&str>) -> HttpResponse {
    let etag = etag(&body);
    if matches(request, &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header(("Access-Control-Allow-Origin", "*"));
    if let Some(name) = file_name {
        response.insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")));
    }
    response.body(body)
}
