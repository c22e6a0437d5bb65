//! The PostgreSQL server tests use: `MELDPUNT_TEST_POSTGRES_URL`, else a server on
//! 127.0.0.1:5432 (user postgres), else a private throwaway cluster started from the
//! installed PostgreSQL binaries.

use std::process::Command;
use std::sync::OnceLock;

use diesel::Connection;
use diesel::pg::PgConnection;

/// The URL of the server's `postgres` database, found or started once per test process.
/// Panics with what to install when no server is possible.
pub fn admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("MELDPUNT_TEST_POSTGRES_URL") {
            if let Err(e) = PgConnection::establish(&url) {
                panic!("MELDPUNT_TEST_POSTGRES_URL is set but PostgreSQL does not answer there: {e}");
            }
            return url;
        }
        // No TLS to a server on this machine: libpq's OpenSSL state is torn down by an exit
        // handler while pool threads may still hold connections, which made the test
        // process end with SIGSEGV after every test had passed.
        let local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned();
        if PgConnection::establish(&local).is_ok() {
            return local;
        }
        match private_cluster() {
            Ok(url) => url,
            Err(why) => panic!(
                "PostgreSQL tests need a server and none was found: MELDPUNT_TEST_POSTGRES_URL is unset, \
                 nothing answers on 127.0.0.1:5432, and a private cluster could not be started ({why}). \
                 Install PostgreSQL (Debian: apt-get install postgresql) or set MELDPUNT_TEST_POSTGRES_URL."
            ),
        }
    })
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_and_path = &base[scheme_end..];
    let host = host_and_path.split('/').next().unwrap_or_default();
    format!("{}{}/{}{}", &base[..scheme_end], host, name, query)
}

/// Starts a throwaway PostgreSQL cluster in a temp folder and arranges for it to be stopped
/// and removed when this test process ends.
fn private_cluster() -> Result<String, String> {
    let bindir =
        postgres_bindir().ok_or("no initdb found (looked in pg_config --bindir and /usr/lib/postgresql/*/bin)")?;
    let dir = std::env::temp_dir().join(format!("meldpunt-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = super::net::free_port();
    let data = dir.join("data");
    // initdb refuses to run as root: run the cluster as the postgres user then.
    let as_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false);
    let run = |program: &str, args: &[&str]| -> Result<(), String> {
        let path = bindir.join(program);
        let output = if as_root {
            Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(&path).args(args).output()
        } else {
            Command::new(&path).args(args).output()
        }
        .map_err(|e| format!("{program}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("{program} failed: {}", String::from_utf8_lossy(&output.stderr)))
        }
    };
    if as_root {
        Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().map_err(|e| e.to_string())?;
    }
    let data_str = data.display().to_string();
    let dir_str = dir.display().to_string();
    run("initdb", &["-D", &data_str, "-U", "postgres", "--auth=trust", "--no-sync"])?;
    let options = format!("-p {port} -k {dir_str} -c listen_addresses=127.0.0.1 -c fsync=off");
    run("pg_ctl", &["-D", &data_str, "-o", &options, "-l", &format!("{dir_str}/log"), "-w", "start"])?;
    // A watchdog stops and removes the cluster once this test process is gone.
    let stop = if as_root {
        format!("runuser -u postgres -- {}/pg_ctl", bindir.display())
    } else {
        format!("{}/pg_ctl", bindir.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D {data_str} -m immediate stop >/dev/null 2>&1; rm -rf {dir_str}",
        pid = std::process::id()
    );
    Command::new("sh").arg("-c").arg(script).spawn().map_err(|e| e.to_string())?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"))
}

fn postgres_bindir() -> Option<std::path::PathBuf> {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = std::path::PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut versions: Vec<_> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.into_iter().rev().find(|dir| dir.join("initdb").exists())
}
