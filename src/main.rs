//! The `meldpunt` command: serve the API (the default), run the outbox worker, migrate, print the OpenAPI
//! document, probe a running server's health, make a VAPID key pair for Web Push, import CBS
//! areas, import the history of an earlier system, or apply the retention policy.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use meldpunt::config::Settings;

#[derive(Parser)]
#[command(name = "meldpunt", version, about = "Citizen issue-reporting backend for municipalities")]
struct Cli {
    /// TOML settings file (also MELDPUNT_CONFIG); environment variables override it.
    #[arg(long, global = true, env = "MELDPUNT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Deliver outbox messages (email, webhook, Web Push), publish scheduled announcements and
    /// run the daily retention job, without serving HTTP, until SIGTERM or Ctrl-C. Run several against one PostgreSQL
    /// database; set `outbox_in_server = false` on the servers then.
    Worker,
    /// Create or upgrade the database schema (and seed the demo configuration if enabled), then exit.
    Migrate,
    /// Print the OpenAPI document (YAML), as committed in api-spec/openapi.yaml.
    Openapi,
    /// Exit 0 when the server at the configured address answers /healthz (for container health checks).
    Healthcheck,
    /// Print a fresh VAPID key pair for Web Push (base64url): the private key goes into
    /// `vapid_private_key`, the public key is what browsers subscribe with.
    VapidKeys,
    /// Manage the CBS area registry.
    #[command(subcommand)]
    Areas(AreasCommand),
    /// Import data from an earlier system.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Maintain the statistics.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Apply the retention policy (docs/privacy.md).
    #[command(subcommand)]
    Retention(RetentionCommand),
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Anonymise, delete and purge what is past its term now, in small batches, and print
    /// the counts. Does nothing when another process is running it.
    Run {
        /// Print how much is due, as counts, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Stop after this many batches that changed something; the next run goes on where
        /// it stopped.
        #[arg(long)]
        max_batches: Option<u64>,
        /// Measure the terms from this moment (RFC 3339) instead of now. Only in debug
        /// builds, for tests: a release build has no such option.
        #[cfg(debug_assertions)]
        #[arg(long, hide = true)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Fill the monthly roll-up of the statistics again from the reports (a repair, e.g.
    /// after reports were written into the database by hand; the server does it by itself
    /// on its first start after an upgrade). Changes to reports wait while it runs.
    Rebuild,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import historical reports (docs/import.md) from the documented CSV or an Open311
    /// requests.json: stamped with their areas, routed, with their history; no email is sent.
    /// All or nothing unless --skip-invalid; rows imported before are skipped.
    Reports {
        /// The CSV or Open311 requests.json file.
        file: PathBuf,
        /// csv or open311 (default: from the extension, else the content).
        #[arg(long, value_parser = ["csv", "open311"])]
        format: Option<String>,
        /// A CSV of `old_name,slug` lines mapping old category names (or service codes) to slugs.
        #[arg(long)]
        category_map: Option<PathBuf>,
        /// Import the valid rows and list the refused ones (instead of importing nothing).
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand)]
enum AreasCommand {
    /// Import a CBS GeoJSON boundary file for one level and year (all or nothing).
    Import {
        /// The GeoJSON FeatureCollection.
        file: PathBuf,
        /// gemeente, wijk or buurt.
        #[arg(long, value_parser = ["gemeente", "wijk", "buurt"])]
        level: String,
        /// Boundary year, e.g. 2025.
        #[arg(long)]
        year: i32,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let load = || Settings::load(cli.config.as_deref(), std::env::vars());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", meldpunt::api::openapi_yaml().map_err(anyhow::Error::msg)?);
            Ok(())
        }
        Command::VapidKeys => {
            let (private, public) = meldpunt::notify::webpush::generate_key_pair();
            println!("MELDPUNT_VAPID_PRIVATE_KEY={private}");
            println!("# public key (applicationServerKey): {public}");
            Ok(())
        }
        Command::Healthcheck => healthcheck(&load()?.listen),
        Command::Serve => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            actix_web::rt::System::new().block_on(async {
                let app = meldpunt::startup::Application::build(settings).await?;
                app.run().await.context("server stopped with an error")
            })
        }
        Command::Worker => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            meldpunt::startup::run_worker(&settings)
        }
        Command::Migrate => {
            let mut settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            settings.listen = "127.0.0.1:0".into();
            actix_web::rt::System::new().block_on(meldpunt::startup::Application::build(settings)).map(|_| ())
        }
        Command::Areas(AreasCommand::Import { file, level, year }) => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            let level =
                meldpunt::domain::area::AreaLevel::parse(&level).context("level must be gemeente, wijk or buurt")?;
            let summary = meldpunt::startup::import_area_file(&settings, &file, level, year)?;
            println!(
                "imported {} {} areas of {year} from {} (replaced {})",
                summary.imported,
                level.as_str(),
                file.display(),
                summary.replaced
            );
            Ok(())
        }
        Command::Stats(StatsCommand::Rebuild) => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            let read = meldpunt::startup::rebuild_statistics(&settings)?;
            println!("rebuilt the statistics roll-up from {read} reports");
            Ok(())
        }
        Command::Retention(RetentionCommand::Run {
            dry_run,
            max_batches,
            #[cfg(debug_assertions)]
            as_of,
        }) => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            #[cfg(debug_assertions)]
            let now = as_of.unwrap_or_else(chrono::Utc::now);
            #[cfg(not(debug_assertions))]
            let now = chrono::Utc::now();
            retention_run(&settings, dry_run, now, max_batches)
        }
        Command::Import(ImportCommand::Reports { file, format, category_map, skip_invalid }) => {
            let settings = load()?;
            meldpunt::telemetry::init(&settings.log, settings.log_format);
            import_reports(&settings, &file, format.as_deref(), category_map.as_deref(), skip_invalid)
        }
    }
}

/// `meldpunt import reports`: the counts on stdout, every refused row on stderr (one line
/// each: `line N: /rows/N/field: what to change`), a non-zero exit when nothing was imported.
fn import_reports(
    settings: &Settings,
    file: &std::path::Path,
    format: Option<&str>,
    category_map: Option<&std::path::Path>,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    use meldpunt::import::{ImportError, ImportOptions, formats::Format};
    let options = ImportOptions { format: format.and_then(Format::parse), skip_invalid, ..ImportOptions::default() };
    let started = std::time::Instant::now();
    let outcome = meldpunt::startup::import_report_file(settings, file, category_map, options)?;
    let print_refused = |refused: &[meldpunt::import::Refusal]| {
        for refusal in refused {
            eprintln!("line {}: {}: {}", refusal.line, refusal.pointer, refusal.detail);
        }
    };
    match outcome {
        Ok(summary) => {
            print_refused(&summary.refused);
            println!(
                "imported {} reports from {} ({}, {} rows): {} already imported (skipped), {} refused ({} problems), \
                 in {:.1} s",
                summary.imported,
                file.display(),
                summary.format.as_str(),
                summary.rows,
                summary.skipped_existing,
                summary.refused_rows(),
                summary.refused.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(ImportError::Refused { rows, refused }) => {
            print_refused(&refused);
            let rows = if rows > 0 { format!(" in {rows} rows") } else { String::new() };
            anyhow::bail!(
                "nothing was imported from {}: {} problem(s){rows} (listed above); correct them, or \
                 run with --skip-invalid to import the valid rows",
                file.display(),
                refused.len()
            )
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("nothing was imported from {}", file.display()))),
    }
}

/// `meldpunt retention run`: one line per count on stdout (`name: n`), after a line that
/// says what happened.
fn retention_run(
    settings: &Settings,
    dry_run: bool,
    now: chrono::DateTime<chrono::Utc>,
    max_batches: Option<u64>,
) -> anyhow::Result<()> {
    use meldpunt::domain::retention::Step;
    use meldpunt::jobs::retention::RunOutcome;
    match meldpunt::startup::run_retention(settings, dry_run, now, max_batches)? {
        RunOutcome::Busy => println!("retention: another process is running it; nothing done"),
        RunOutcome::AlreadyRan => println!("retention: already ran"),
        RunOutcome::Ended { run, outcome, counts } => {
            match run {
                None => println!("retention dry run: due now (nothing changed)"),
                Some(id) => println!("retention run {id}: {outcome}"),
            }
            for step in Step::ALL {
                println!("{}: {}", step.as_str(), counts.get(step));
            }
        }
    }
    Ok(())
}

fn healthcheck(listen: &str) -> anyhow::Result<()> {
    let address = listen.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    let target = address.to_socket_addrs()?.next().context("the listen address does not resolve")?;
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(3))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    stream.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", answer.lines().next().unwrap_or("no answer"))
    }
}
