//! The audit log of staff access to reporters' personal data, as the privacy officer
//! exports it (admins and the admin token): who saw or erased which reporter's contact,
//! when; filtered by period, account, report and action; paged by keyset with a `Link`
//! header; as JSON or CSV.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::access::AdminAccess;
use crate::api::analyst::stats::wants_csv;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, Unavailable};
use crate::api::state::AppState;
use crate::domain::privacy::audit::{AuditAction, AuditRequest, encode_cursor, spreadsheet_safe};
use crate::storage::audit::{self, AuditEntry};

/// The path of this endpoint, for `next` links.
const PATH: &str = "/api/v1/admin/audit";

/// An audit log entry: who did what with whose personal data, when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    /// Sequence number (ascending with time).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: the staff account. Always an account: the configured admin token has none, and
    /// what it does is in the report's history (actor `admin`), not here.
    pub account_id: Uuid,
    /// The account's email (`null` only if the account row is missing).
    pub account_email: Option<String>,
    /// The account's name (`null` as above).
    pub account_name: Option<String>,
    /// What: `viewed_reporter_contact`, `anonymised_reporter` (erased on request), or
    /// `sent_reporter_contact` (a report event carried it to a webhook endpoint this account
    /// allowed it).
    #[schema(example = "viewed_reporter_contact")]
    pub action: String,
    /// The report (`null` once the report was deleted under the retention terms).
    pub report_id: Option<Uuid>,
    /// The report's public reference (`null` as above).
    #[schema(example = "K7QM-3XRD")]
    pub report_reference: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id,
            at: e.at,
            account_id: e.account_id,
            account_email: e.account_email,
            account_name: e.account_name,
            action: e.action,
            report_id: e.report_id,
            report_reference: e.report_reference,
        }
    }
}

/// Filter and page of the audit log. Every filter narrows the result; invalid values are
/// refused (422) with the parameter named.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries at or after this moment: RFC 3339 (`2026-12-01T00:00:00Z`; write `+` in an
    /// offset as `%2B`) or a date (`2026-12-01`: its start, Europe/Amsterdam).
    pub from: Option<String>,
    /// Entries before this moment (the period is [from, to)), in the same forms; a date
    /// means its start, so `to=2027-01-01` includes all of 31 December. Not before `from`.
    pub to: Option<String>,
    /// Only entries of this staff account.
    #[param(value_type = Option<Uuid>)]
    pub account_id: Option<String>,
    /// Only entries about this report.
    #[param(value_type = Option<Uuid>)]
    pub report_id: Option<String>,
    /// Only entries about the report with this public reference (`K7QM-3XRD`; any case,
    /// dash optional), as a resident quotes it. A deleted report's entries have none.
    pub reference: Option<String>,
    /// Only entries of this action.
    #[param(value_type = Option<AuditAction>, inline)]
    pub action: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also chooses CSV.
    pub format: Option<String>,
    /// Entries per page, 1-1000 (default 100), newest first.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Where the page starts: the `cursor` of the `Link: <…>; rel="next"` header of the
    /// previous page (opaque; keep the other parameters as they were).
    pub cursor: Option<String>,
}

/// The privacy officer's export of the audit of access to reporters' personal data.
///
/// Newest first: who (account id, email and name) viewed (`viewed_reporter_contact`) or
/// erased on request (`anonymised_reporter`) which report's reporter contact (report id and
/// reference), when. For the privacy officer's export (AVG art. 5(2), art. 15): filter by period, account,
/// report (by id or public reference) and action; page through any number of entries with the `Link: <…>; rel="next"`
/// header (absent on the last page), which loses and repeats nothing even while entries are
/// written. JSON is an array of entries; CSV (`Accept: text/csv` or `format=csv`) has a
/// header line and one line per entry, every page a complete file.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = []), ("admin_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "One page of entries (JSON; CSV with `Accept: text/csv` or `format=csv`: columns id, at, account_id, account_email, account_name, action, report_id, report_reference)", content(
            (Vec<AuditView> = "application/json"),
            (String = "text/csv"),
        ),
            headers(("Link" = String, description = "`</api/v1/admin/audit?…&cursor=…>; rel=\"next\"` when another page follows"))),
        (status = 400, description = "An unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad from, to (or from after to), account_id, report_id, reference, action, format, limit or cursor; each named by JSON Pointer", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/audit")]
pub async fn audit_log(
    _admin: AdminAccess,
    request: HttpRequest,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let asked = AuditRequest {
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        account_id: q.account_id.as_deref(),
        report_id: q.report_id.as_deref(),
        reference: q.reference.as_deref(),
        action: q.action.as_deref(),
        format: q.format.as_deref(),
        limit: q.limit.as_deref(),
        cursor: q.cursor.as_deref(),
    };
    let filter = asked.check().map_err(ApiError::Validation)?;
    let csv = filter.csv || wants_csv(&request);
    let limit = usize::try_from(filter.limit).unwrap_or(0);
    let mut entries = state.db.run(move |conn| audit::page(conn, &filter)).await?;
    let more = entries.len() > limit;
    entries.truncate(limit);
    let next = entries.last().filter(|_| more).map(|last| next_link(request.query_string(), last.id));
    let mut response = HttpResponse::Ok();
    if let Some(link) = next {
        response.insert_header((header::LINK, link));
    }
    if csv {
        response.insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""));
        Ok(response.content_type("text/csv; charset=utf-8").body(to_csv(&entries)?))
    } else {
        Ok(response.json(entries.into_iter().map(AuditView::from).collect::<Vec<_>>()))
    }
}

/// The `Link` header of the next page: this request's parameters with the cursor after
/// entry `last_id`.
fn next_link(query_string: &str, last_id: i64) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string).unwrap_or_default();
    pairs.retain(|(name, _)| name != "cursor");
    pairs.push(("cursor".into(), encode_cursor(last_id)));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{PATH}?{query}>; rel=\"next\"")
}

/// The entries as CSV (RFC 4180, header line); free-text cells are made spreadsheet-safe.
fn to_csv(entries: &[AuditEntry]) -> Result<String, ApiError> {
    let failed = |e: &dyn std::fmt::Display| ApiError::Internal(format!("cannot write CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "id",
            "at",
            "account_id",
            "account_email",
            "account_name",
            "action",
            "report_id",
            "report_reference",
        ])
        .map_err(|e| failed(&e))?;
    for e in entries {
        let record = [
            e.id.to_string(),
            e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            e.account_id.to_string(),
            spreadsheet_safe(e.account_email.as_deref().unwrap_or_default()).into_owned(),
            spreadsheet_safe(e.account_name.as_deref().unwrap_or_default()).into_owned(),
            e.action.clone(),
            e.report_id.map(|r| r.to_string()).unwrap_or_default(),
            spreadsheet_safe(e.report_reference.as_deref().unwrap_or_default()).into_owned(),
        ];
        writer.write_record(&record).map_err(|e| failed(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}
