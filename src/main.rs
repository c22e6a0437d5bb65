//! The `meldpunt` command: serve the API (the default), run the outbox worker, migrate, print the OpenAPI
//! document, probe a running server's health, or make a VAPID key pair for Web Push.

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
    /// Deliver outbox messages (email, webhook, Web Push) and publish scheduled announcements,
    /// without serving HTTP, until SIGTERM or Ctrl-C. Run several against one PostgreSQL
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
    }
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
