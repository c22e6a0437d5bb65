//! Announcement fan-out: 1,000,000 active subscriptions spread over the Netherlands (the
//! seeded CBS areas: Heerlen's 57 buurten and the other 341 gemeenten; every fourth
//! subscription covers a second, neighbouring area so the match must deduplicate), then one
//! announcement for the whole country published: matched and enqueued (announcement_deliveries) in one
//! transaction. Also one announcement for Heerlen only. Goal: under 2 s for the million.
//!
//! Prints the time of each publish (the whole transaction, commit included) and the peak
//! memory of this process (VmHWM; the database server's memory is its own).
//!
//! Run: `cargo bench --bench fanout` (SQLite in a temp file, and PostgreSQL at
//! `MELDPUNT_BENCH_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`,
//! in a fresh database that is dropped afterwards). `MELDPUNT_BENCH_SUBSCRIPTIONS` changes
//! the count; `MELDPUNT_BENCH_BACKENDS=sqlite` (or `postgres`) runs one backend.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "a benchmark panics on set-up failure")]

use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use meldpunt::domain::spatial::AreaIndex;
use meldpunt::domain::subscription::{Targets, cells};
use meldpunt::storage::announcements::{self, AnnouncementContent, Published};
use meldpunt::storage::{Database, DatabaseSettings, DbConnection, SqliteSynchronous};

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time (user + system) of a process on this machine, in seconds (clock ticks of 10 ms).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The load average over the last minute.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?").to_owned()
}

fn content(
    index: &AreaIndex,
    title: &str,
    targets: Targets,
    polygon: Option<serde_json::Value>,
) -> AnnouncementContent {
    AnnouncementContent {
        title: title.into(),
        body: "Benchmark".into(),
        areas: targets.areas.clone(),
        polygon,
        tags: vec!["roadworks".into()],
        valid_from: None,
        valid_until: None,
        question: None,
        cells: cells(index, &targets),
    }
}

fn fill(conn: &mut DbConnection, codes: &[String], count: u64) {
    conn.batch_execute("CREATE TABLE bench_cells (idx INTEGER PRIMARY KEY, code TEXT NOT NULL)").unwrap();
    for (i, code) in codes.iter().enumerate() {
        conn.batch_execute(&format!("INSERT INTO bench_cells VALUES ({i}, '{code}')")).unwrap();
    }
    let n = codes.len();
    let started = Instant::now();
    let sql = match conn {
        DbConnection::Sqlite(_) => format!(
            "BEGIN IMMEDIATE;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
             INSERT INTO subscriptions (id, channel, status, email, language, targets, all_tags, tags, categories, created_at, seq)
             SELECT printf('00000000-0000-4000-8000-%012x', i), 'email', 'active', 'bench' || i || '@example.nl', 'nl',
                    '{{}}', 1, '[]', '[]', '2026-01-01T00:00:00.000000Z', i + 1 FROM n;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
             INSERT INTO subscription_areas (subscription_id, area_code, subscription_seq)
             SELECT printf('00000000-0000-4000-8000-%012x', i), c.code, i + 1 FROM n JOIN bench_cells c ON c.idx = i % {n};
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 4 FROM n WHERE i + 4 <= {last})
             INSERT INTO subscription_areas (subscription_id, area_code, subscription_seq)
             SELECT printf('00000000-0000-4000-8000-%012x', i), c.code, i + 1 FROM n JOIN bench_cells c ON c.idx = (i + 1) % {n};
             COMMIT; ANALYZE;",
            last = count - 1
        ),
        DbConnection::Postgresql(_) => format!(
            "INSERT INTO subscriptions (id, channel, status, email, language, targets, all_tags, tags, categories, created_at, seq)
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'email', 'active',
                    'bench' || i || '@example.nl', 'nl', '{{}}', true, '[]', '[]', now(), i + 1
             FROM generate_series(0, {last}) i;
             SELECT setval(pg_get_serial_sequence('subscriptions', 'seq'), {count});
             INSERT INTO subscription_areas (subscription_id, area_code, subscription_seq)
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, c.code, i + 1
             FROM generate_series(0, {last}) i JOIN bench_cells c ON c.idx = i % {n};
             INSERT INTO subscription_areas (subscription_id, area_code, subscription_seq)
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, c.code, i + 1
             FROM generate_series(0, {last}, 4) i JOIN bench_cells c ON c.idx = (i + 1) % {n};",
            last = count - 1
        ),
    };
    conn.batch_execute(&sql).unwrap();
    if !conn.is_sqlite() {
        // VACUUM cannot run inside the implicit transaction of a multi-statement batch.
        conn.batch_execute("VACUUM ANALYZE subscriptions").unwrap();
        conn.batch_execute("VACUUM ANALYZE subscription_areas").unwrap();
    }
    println!("  set-up: {count} subscriptions over {n} areas in {:.1} s", started.elapsed().as_secs_f64());
}

fn run(name: &str, url: &str, count: u64) {
    println!("{name}:");
    let db = Database::open(&DatabaseSettings {
        url: url.into(),
        pool_size: 2,
        pool_timeout: std::time::Duration::from_secs(30),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .unwrap();
    let mut conn = db.conn().unwrap();
    meldpunt::storage::migrate::run(&mut conn, meldpunt::storage::seed::seed_areas_if_empty).unwrap();
    let index = AreaIndex::new(meldpunt::storage::areas::load_all(&mut conn).unwrap());
    let nationwide = serde_json::json!({"type": "Polygon", "coordinates": [[[3.0, 50.6], [7.5, 50.6], [7.5, 53.8], [3.0, 53.8], [3.0, 50.6]]]});
    let shape = meldpunt::domain::area::parse_geometry(&nationwide).unwrap();
    let country =
        content(&index, "Heel Nederland", Targets { polygon: Some(shape), ..Targets::default() }, Some(nationwide));
    let codes: Vec<String> = country.cells.iter().cloned().collect();
    fill(&mut conn, &codes, count);
    let heerlen = content(&index, "Heerlen", Targets { areas: vec!["GM0917".into()], ..Targets::default() }, None);
    for (label, announcement) in [("Heerlen (GM0917)", heerlen), ("the whole country", country)] {
        let id = uuid::Uuid::now_v7();
        announcements::create(&mut conn, id, &announcement, "bench").unwrap();
        // The CPU time of this process, and of the PostgreSQL server process of this connection.
        let server = match &mut *conn {
            DbConnection::Postgresql(pg) => {
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("pg_backend_pid()"))
                    .get_result::<i32>(pg)
                    .ok()
                    .map(|pid| pid.to_string())
            }
            DbConnection::Sqlite(_) => None,
        };
        let load_before = load();
        let (own_before, server_before) = (cpu_seconds("self"), server.as_deref().map_or(0.0, cpu_seconds));
        let started = Instant::now();
        let published = announcements::publish(&mut conn, id, None, chrono::Utc::now()).unwrap();
        let elapsed = started.elapsed();
        let own = cpu_seconds("self") - own_before;
        let server_cpu = server.as_deref().map_or(0.0, cpu_seconds) - server_before;
        let Published::Now(enqueued) = published else { panic!("not published") };
        println!(
            "  publish to {label}: {enqueued} deliveries matched and enqueued in {:.3} s ({:.0} per second), {} cells; \
             CPU {:.2} s here + {:.2} s in the database server; load {load_before} -> {}",
            elapsed.as_secs_f64(),
            enqueued as f64 / elapsed.as_secs_f64(),
            announcement.cells.len(),
            own,
            server_cpu,
            load()
        );
    }
    let queued: i64 = meldpunt::storage::schema::announcement_deliveries::table.count().get_result(&mut *conn).unwrap();
    println!("  delivery rows: {queued}; peak memory of this process: {:.0} MiB", peak_memory_mib());
}

fn main() {
    let count: u64 =
        std::env::var("MELDPUNT_BENCH_SUBSCRIPTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let backends = std::env::var("MELDPUNT_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if backends.contains("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        run("SQLite (synchronous=full)", &format!("sqlite://{}", dir.path().join("fanout.sqlite3").display()), count);
    }
    if backends.contains("postgres") {
        let admin = std::env::var("MELDPUNT_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("meldpunt_fanout_{}", std::process::id());
        let mut server = diesel::pg::PgConnection::establish(&admin).expect("PostgreSQL for the benchmark");
        server.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => admin.clone(),
        };
        run("PostgreSQL", &url, count);
        let _ = server.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    }
}
