//! What the retention tests share: running `meldpunt retention run` against a test app's
//! database, and searching the whole database for a piece of personal data.

use std::collections::HashMap;
use std::process::{Command, Output};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::Value;

use crate::support::app::{ADMIN_TOKEN, Backend, TestApp};

/// `meldpunt retention run ARGS` against `app`'s database, with extra `env`.
pub fn retention_command(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meldpunt"));
    command
        .args(["retention", "run"])
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("MELDPUNT_LOG", "debug")
        .env("MELDPUNT_RETENTION_AT", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// The counts a `meldpunt retention run` printed (`name: n` lines), and its first line,
/// leaving out the log lines among them (the output goes to the test log sink).
pub fn counts_of(output: &Output) -> (String, HashMap<String, i64>) {
    crate::support::logs::record_output("meldpunt retention run", output);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    let printed: Vec<&str> = stdout.lines().filter(|line| !crate::support::logs::is_log_line(line)).collect();
    let first = printed.first().copied().unwrap_or_default().to_owned();
    let counts = printed
        .iter()
        .filter_map(|line| {
            let (name, n) = line.split_once(": ")?;
            Some((name.to_owned(), n.trim().parse().ok()?))
        })
        .collect();
    (first, counts)
}

/// Runs `meldpunt retention run ARGS` and returns its first line and counts.
pub fn run_retention(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (String, HashMap<String, i64>) {
    counts_of(&retention_command(app, args, env).output().unwrap())
}

/// The admin's list of retention runs.
pub async fn runs(app: &TestApp) -> Vec<Value> {
    let response =
        app.client.get(app.url("/api/v1/admin/retention/runs")).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

#[derive(QueryableByName)]
struct Dump {
    #[diesel(sql_type = Text)]
    dump: String,
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Everything the database holds, as text: on SQLite the bytes of the database file and
/// its write-ahead log (so deleted rows left in free pages count too), on PostgreSQL every
/// row of every table.
pub fn whole_database(app: &TestApp) -> String {
    match app.backend {
        Backend::Sqlite => {
            let path = app.database_url.trim_start_matches("sqlite://").to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Backend::Postgres => {
            let mut conn = diesel::pg::PgConnection::establish(&app.database_url).unwrap();
            let tables: Vec<TableName> = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .load(&mut conn)
            .unwrap();
            let mut out = String::new();
            for table in tables {
                let rows: Vec<Dump> = diesel::sql_query(format!(
                    "SELECT coalesce(string_agg(t::text, E'\\n'), '') AS dump FROM \"{}\" t",
                    table.name
                ))
                .load(&mut conn)
                .unwrap();
                for row in rows {
                    out.push_str(&row.dump);
                    out.push('\n');
                }
            }
            out
        }
    }
}

/// Every outbox message's recipient, parameters and last error, one message a line.
pub fn outbox_text(app: &TestApp) -> String {
    let rows: Vec<Dump> = match app.backend {
        Backend::Sqlite => {
            let path = app.database_url.trim_start_matches("sqlite://").to_owned();
            let mut conn = diesel::sqlite::SqliteConnection::establish(&path).unwrap();
            diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 10000").unwrap();
            diesel::sql_query(
                "SELECT coalesce(group_concat(recipient || ' ' || params || ' ' || coalesce(last_error, ''), char(10)), '') AS dump FROM outbox",
            )
            .load(&mut conn)
            .unwrap()
        }
        Backend::Postgres => {
            let mut conn = diesel::pg::PgConnection::establish(&app.database_url).unwrap();
            diesel::sql_query("SELECT coalesce(string_agg(t::text, E'\\n'), '') AS dump FROM outbox t")
                .load(&mut conn)
                .unwrap()
        }
    };
    rows.into_iter().map(|row| row.dump).collect()
}

/// Runs `sql` on `app`'s database (to move a stored time back, as if it had passed).
pub fn execute(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    match app.backend {
        Backend::Sqlite => {
            let path = app.database_url.trim_start_matches("sqlite://").to_owned();
            let mut conn = diesel::sqlite::SqliteConnection::establish(&path).unwrap();
            conn.batch_execute(&format!("PRAGMA busy_timeout = 10000; {sql}")).unwrap();
        }
        Backend::Postgres => {
            let mut conn = diesel::pg::PgConnection::establish(&app.database_url).unwrap();
            conn.batch_execute(sql).unwrap();
        }
    }
}
