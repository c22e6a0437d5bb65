//! Entry points for the coverage-guided fuzz targets in `fuzz/` (cargo feature `fuzzing`,
//! off in every normal build; `docs/robustness.md` says how they are run). Each one runs
//! bytes from outside through the functions the server (or `meldpunt import`) runs them
//! through, against the seeded demo configuration: the Heerlen categories, departments and
//! areas. An error is the expected answer to most inputs; a panic is a bug.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::domain::area::{AreaLevel, bounding_box, geometry_json, parse_area_file};
use crate::domain::category::Catalog;
use crate::domain::routing::Rule;
use crate::domain::rule_spec::{RuleSpec, stored_conditions, validate_rule};
use crate::domain::spatial::AreaIndex;
use crate::import::formats::{self, Format};
use crate::import::mapping::CategoryMap;
use crate::import::rows::{Context, YearIndexes, check_row};
use crate::storage::{Database, DatabaseSettings, SqliteSynchronous, StorageError};

/// The seeded demo configuration, as the server loads it after its first start.
pub struct Demo {
    /// Departments and categories.
    pub catalog: Catalog,
    /// Every CBS code of the seeded areas.
    pub area_codes: HashSet<String>,
    /// The seeded areas by boundary year.
    pub areas: YearIndexes,
    /// The seeded routing rules, in order.
    pub rules: Vec<Rule>,
}

/// The demo configuration, built once per process in a temporary SQLite database.
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    // A harness without its configuration cannot run at all: stopping is the right answer.
    DEMO.get_or_init(|| build_demo().unwrap_or_else(|e| panic!("the demo configuration cannot be built: {e}")))
}

fn build_demo() -> Result<Demo, StorageError> {
    let dir = std::env::temp_dir().join(format!("meldpunt-fuzz-{}", std::process::id()));
    let settings = DatabaseSettings {
        url: dir.join("demo.sqlite3").display().to_string(),
        pool_size: 2,
        pool_timeout: Duration::from_secs(30),
        sqlite_synchronous: SqliteSynchronous::Normal,
    };
    let demo = Database::open(&settings).and_then(|db| {
        crate::storage::migrate::run(&mut *db.conn()?, |conn| {
            crate::storage::seed::seed_demo_if_empty(conn)?;
            crate::storage::seed::seed_areas_if_empty(conn)?;
            let areas = crate::storage::areas::load_all(conn)?;
            Ok(Demo {
                catalog: crate::storage::catalog::load(conn)?,
                area_codes: areas.iter().map(|a| a.code.clone()).collect(),
                areas: YearIndexes::new(areas),
                rules: crate::storage::rules::load(conn)?.into_iter().map(|stored| stored.rule).collect(),
            })
        })
    });
    // The database only served to load the configuration.
    let _ = std::fs::remove_dir_all(&dir);
    demo
}

/// `POST /api/v1/admin/areas/import`: the body as JSON, the area file of each level, and
/// what the server builds from the areas it accepts (their index, GeoJSON and boxes).
pub fn area_file(body: &[u8]) {
    let Ok(json) = crate::api::body::json_from_bytes(body, "file") else { return };
    for level in [AreaLevel::Gemeente, AreaLevel::Wijk, AreaLevel::Buurt] {
        if let Ok(areas) = parse_area_file(&json.value, level, 2025) {
            for area in &areas {
                let _ = geometry_json(&area.geometry);
                let _ = bounding_box(&area.geometry);
            }
            let index = AreaIndex::new(areas);
            let _ = index.locate(5.98, 50.886);
        }
    }
}

/// `POST`/`PUT` of a routing rule: the body as JSON, into a [`RuleSpec`], validated against
/// the demo configuration, and its stored conditions.
pub fn rule_spec(body: &[u8]) {
    let demo = demo();
    let Ok(json) = crate::api::body::json_from_bytes(body, "rule") else { return };
    let Ok(spec) = crate::api::body::parse::<RuleSpec>(json.value) else { return };
    let _ = validate_rule(Uuid::nil(), &spec, &demo.catalog, |code| demo.area_codes.contains(code));
    let _ = stored_conditions(&spec.conditions);
}

/// `POST /open311/v2/requests.json`: the form body, up to the intake input.
pub fn open311_form(body: &[u8]) {
    let demo = demo();
    for format in [crate::api::open311::Format::Json, crate::api::open311::Format::Xml] {
        let _ = crate::api::open311::filing::read_form_fields(&demo.catalog, format, body);
    }
}

/// A photo upload: sniffing, decoding, orientation, EXIF stripping, re-encoding and the
/// thumbnail.
pub fn photo(bytes: &[u8]) {
    let _ = crate::domain::photo::sniff(bytes);
    let _ = crate::domain::photo::process(bytes);
}

/// `GET /api/v1/reports` (the map): the query string, up to the storage query.
pub fn map_query(query: &[u8]) {
    let Ok(text) = std::str::from_utf8(query) else { return };
    let _ = crate::api::public::map::read_query(text, &demo().catalog, 500);
}

/// The history import without a file name: the format from the content, the file, the
/// same bytes as a category mapping file, and every row checked and placed as
/// `import_reports` does before it stores anything.
pub fn history_import(file: &[u8]) {
    let demo = demo();
    let categories = CategoryMap::parse(file, &demo.catalog).unwrap_or_default();
    let format = Format::detect(None, file);
    let (parsed, names) = match format {
        Format::Csv => (formats::parse_csv(file), &formats::CSV),
        Format::Open311 => (formats::parse_open311(file), &formats::OPEN311),
    };
    let Ok(parsed) = parsed else { return };
    let served = ["GM0917".to_owned()];
    let context = Context {
        catalog: &demo.catalog,
        rules: &demo.rules,
        areas: &demo.areas,
        served: &served,
        categories: &categories,
        now: fuzz_now(),
    };
    for row in &parsed.rows {
        let _ = check_row(&context, names, row);
    }
}

/// A fixed "now", so that a crash reproduces whenever it is run.
fn fuzz_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().unwrap_or_default()
}

/// The boundary of the multipart bodies the `multipart` target sends; its seeds use it.
pub const MULTIPART_BOUNDARY: &str = "meldpunt-fuzz-boundary";

/// `POST /api/v1/reports` with photos: the multipart body split into its `report` and
/// `photo` parts (with the server's limits), and the `report` part read as JSON.
pub fn multipart(body: &[u8]) {
    use actix_web::FromRequest;
    thread_local! {
        static RUNTIME: Option<tokio::runtime::Runtime> =
            tokio::runtime::Builder::new_current_thread().build().ok();
    }
    let service = crate::intake::photos::PhotoService {
        store: std::sync::Arc::new(crate::storage::photos::local::LocalPhotoStore::open(std::env::temp_dir())),
        secret: Vec::new(),
        max_count: 5,
        max_bytes: 64 * 1024,
    };
    let (request, mut payload) = actix_web::test::TestRequest::post()
        .uri("/api/v1/reports")
        .insert_header(("content-type", format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}")))
        .set_payload(body.to_vec())
        .to_http_parts();
    RUNTIME.with(|runtime| {
        let Some(runtime) = runtime else { return };
        runtime.block_on(async {
            let Ok(payload) = actix_web::web::Payload::from_request(&request, &mut payload).await else { return };
            if let Ok(parts) =
                crate::api::public::photos::read_parts(&request, payload, &service, Some(16 * 1024)).await
                && let Some(report) = parts.report
            {
                let _ = crate::api::body::json_from_bytes(&report, "report");
            }
        });
    });
}
