//! Loading CBS key figures per area and year (admin), such as the number of inhabitants that
//! statistics divide by, and listing what is loaded.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::api::access::AdminAccess;
use crate::api::error::{ApiError, Problem};
use crate::api::responses::AdminErrors;
use crate::api::state::AppState;
use crate::domain::figures::parse_figure_file;
use crate::storage::figures::FigureSummary;

/// How many areas have one figure for one year from one source.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FigureSummaryView {
    /// What is counted: `population` (inhabitants), or another figure such as `dwellings`.
    #[schema(example = "population")]
    pub figure: String,
    /// The year the figures describe.
    #[schema(example = 2024)]
    pub year: i32,
    /// Where they come from; show it with every number derived from them ("Bron: CBS").
    #[schema(example = "CBS 85984NED")]
    pub source: String,
    /// How many areas (gemeenten, wijken, buurten) have this figure for this year.
    #[schema(example = 81)]
    pub areas: i64,
}

impl From<FigureSummary> for FigureSummaryView {
    fn from(summary: FigureSummary) -> Self {
        FigureSummaryView { figure: summary.figure, year: summary.year, source: summary.source, areas: summary.areas }
    }
}

/// The key figures loaded, by figure, newest year first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FigureList {
    /// Per figure, year and source.
    pub figures: Vec<FigureSummaryView>,
}

/// What a load did, and everything now loaded.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FiguresLoaded {
    /// Figures in the file, each stored (a figure already loaded for the same area, year and
    /// figure got the new value).
    #[schema(example = 339)]
    pub loaded: usize,
    /// Per figure, year and source, after the load.
    pub figures: Vec<FigureSummaryView>,
}

/// Loads CBS key figures per area and year from a CSV file.
///
/// The file is either `code,year,figure,value,source` (header line required) or a CBS
/// kerncijfers file (`year,level,code,name,wijk_code,population,…,cbs_table`, whose numeric
/// columns become figures of the same name with source `CBS <cbs_table>`; empty cells are
/// skipped). A figure loaded again for the same area, year and figure gets the new value.
/// All or nothing: a file with any bad row stores nothing, and the answer names every bad
/// cell as `/rows/<line>/<column>` (the header is line 1).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    request_body(content = String, content_type = "text/csv", description = "UTF-8 CSV with a header line", example = "code,year,figure,value,source\nGM0917,2024,population,87461,CBS 85984NED\n"),
    responses(
        (status = 201, description = "Loaded", body = FiguresLoaded),
        (status = 400, description = "The body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than max_import_bytes", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad rows, each named by `/rows/<line>/<column>`; nothing was stored", body = Problem, content_type = "application/problem+json"),
        AdminErrors,
    )
)]
#[post("/api/v1/admin/figures")]
pub async fn load_figures(
    _admin: AdminAccess,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_csv(&request, payload, state.max_import_bytes).await?;
    let (loaded, summary) = state
        .db
        .run(move |conn| -> Result<_, ApiError> {
            let file = parse_figure_file(&body).map_err(ApiError::Validation)?;
            let loaded = crate::storage::figures::load(conn, &file.figures, "api")?;
            Ok((loaded, crate::storage::figures::list(conn)?))
        })
        .await?;
    tracing::info!(loaded, "key figures loaded");
    Ok(HttpResponse::Created()
        .json(FiguresLoaded { loaded, figures: summary.into_iter().map(FigureSummaryView::from).collect() }))
}

/// The key figures loaded: per figure, year and source, how many areas have it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("admin_token" = [])),
    responses(
        (status = 200, description = "By figure, newest year first", body = FigureList),
        AdminErrors,
    )
)]
#[get("/api/v1/admin/figures")]
pub async fn list_figures(_admin: AdminAccess, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let summary = state.db.run(crate::storage::figures::list).await?;
    Ok(HttpResponse::Ok().json(FigureList { figures: summary.into_iter().map(FigureSummaryView::from).collect() }))
}

/// Reads a `text/csv` body of at most `limit` bytes.
async fn read_csv(request: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    const HINT: &str = "send the file with the header Content-Type: text/csv (UTF-8)";
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let Some(content_type) = content_type else {
        return Err(ApiError::UnsupportedMediaType(format!("the request has no Content-Type; {HINT}")));
    };
    let lowercase = content_type.to_ascii_lowercase();
    let mut parts = lowercase.split(';').map(str::trim);
    let is_csv = parts.next() == Some("text/csv");
    let charset_ok = parts.all(|p| !p.starts_with("charset=") || matches!(p, "charset=utf-8" | "charset=\"utf-8\""));
    if !(is_csv && charset_ok) {
        return Err(ApiError::UnsupportedMediaType(format!("Content-Type '{lowercase}' is not accepted; {HINT}")));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or_default());
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::MalformedBody(format!("the request body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
