//! Builds the application from settings: database, migrations and seed, catalog, intake
//! writers, and the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use utoipa_actix_web::AppExt;

use crate::api::state::AppState;
use crate::config::Settings;
use crate::intake::writer::{IntakeSettings, IntakeWriter};
use crate::storage::snapshot::ConfigHandle;
use crate::storage::{BackendKind, Database, DatabaseSettings};

mod commands;

pub use commands::{import_area_file, import_report_file, rebuild_statistics};

/// A built, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    backend: BackendKind,
    /// The `GET /metrics` server on `metrics_listen`, and its port.
    metrics: Option<(Server, u16)>,
}

impl Application {
    /// Opens the database (migrating and seeding it), binds the listener and builds the
    /// server. Blocking set-up runs off the async executor.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(&settings.listen).with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = metrics_listener(&settings)?;
        let prepared = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || prepare(&settings)).await??
        };
        let backend = prepared.db.backend();
        let writers = match (settings.intake_writers, backend) {
            (0, BackendKind::Sqlite) => 1,
            (0, BackendKind::Postgres) => 2,
            (n, _) => n,
        };
        let intake = IntakeWriter::start(
            &prepared.db,
            IntakeSettings { writers, max_batch: settings.intake_batch_max, queue_capacity: settings.intake_queue },
        )?;
        let vapid = settings.vapid_keys()?;
        let sso = sso_state(&settings, prepared.sso_cookies.clone())?;
        let document = crate::api::openapi();
        let state = web::Data::new(AppState {
            db: prepared.db,
            writer: intake,
            config: prepared.config.clone(),
            served: settings.served_municipalities(),
            admin_token: Some(settings.admin_token.clone()).filter(|t| !t.is_empty()),
            max_body_bytes: settings.max_body_bytes,
            max_import_bytes: settings.max_import_bytes,
            openapi_json: document.to_json()?,
            route_templates: document.paths.paths.keys().cloned().collect(),
            open311_api_keys: settings.open311_keys(),
            open311_anonymous_post: settings.open311_anonymous_post,
            session_hours: settings.session_hours,
            console_secure_cookies: settings.console_secure_cookies,
            console_tiles: settings.console_tiles()?,
            photos: prepared.photos,
            map_cache: crate::api::public::map::MapCache::new(settings.map_cache_entries),
            map_max_features: settings.map_max_features,
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            links: prepared.links,
            webhook_allow_insecure: settings.webhook_allow_insecure,
            push_public_key: vapid.as_ref().map(|keys| keys.public_key_b64url()),
            boundary_years: crate::insight::years::Years::default(),
            survey_days: settings.survey_days,
            stats_min_count: settings.stats_min_count,
            open: crate::domain::open_data::OpenSettings {
                min_count: settings.open_min_count,
                rounding_base: settings.open_rounding_base,
                subcategories: settings.open_subcategories,
                licence: settings.open_data_licence.clone(),
                publisher: settings.open_publisher.clone(),
                keep_for: std::time::Duration::from_secs(settings.open_cache_seconds),
            },
            open_grids: crate::insight::open::OpenGrids::default(),
            limits: crate::api::limits::Limits::new(&settings.limit_settings(), settings.client_addressing()?),
            body_timeout: Duration::from_secs(settings.request_body_timeout_seconds),
            sso,
            announcement_preview: crate::jobs::subscriber_messages::preview_email,
        });
        let cors_origins = settings.cors_origins()?;
        spawn_config_refresh(&prepared.config, Arc::downgrade(&state.clone().into_inner()), settings.config_poll_ms);
        if settings.outbox_in_server {
            start_background_jobs(
                &state.db,
                &settings,
                vapid.clone(),
                state.links.clone(),
                state.photos.store.clone(),
                Arc::downgrade(&state.clone().into_inner()),
            )?;
        } else {
            tracing::info!(
                "outbox_in_server is off: run `meldpunt worker` to deliver messages and publish scheduled announcements"
            );
        }
        let metrics = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                let sources = crate::api::metrics::Sources {
                    db: state.db.clone(),
                    intake: Some(state.writer.clone()),
                    handle: crate::api::metrics::recorder()?,
                };
                tracing::info!(address = %settings.metrics_listen, port, "metrics are served at /metrics");
                Some((crate::api::metrics::server(listener, sources)?, port))
            }
            None => None,
        };
        let count_requests = metrics.is_some();
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(web::PathConfig::default().error_handler(crate::api::path_error))
                .app_data(web::QueryConfig::default().error_handler(crate::api::query_error))
                .configure(crate::api::routes)
                .default_service(web::to(crate::api::fallback))
                .into_app()
                // The last wrapped is the outermost: the request id first (so every response
                // and log line has it), then the log span, the request metrics (which count
                // refusals too), CORS (also on refusals), the body deadline and the limits per
                // client address.
                .wrap(actix_web::middleware::from_fn(crate::api::limits::limit_by_address))
                .wrap(actix_web::middleware::from_fn(crate::api::body_deadline::body_deadline))
                .wrap(actix_web::middleware::Condition::new(
                    !cors_origins.is_empty(),
                    crate::api::cors::cors(&cors_origins),
                ))
                .wrap(actix_web::middleware::Condition::new(
                    count_requests,
                    actix_web::middleware::from_fn(crate::api::metrics::count_requests),
                ))
                .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::PrivateRootSpan>::new())
                .wrap(actix_web::middleware::from_fn(crate::api::request_id::request_id))
        })
        .client_request_timeout(Duration::from_secs(settings.request_head_timeout_seconds))
        .listen(listener)?
        .shutdown_timeout(30);
        if settings.http_workers > 0 {
            server = server.workers(settings.http_workers);
        }
        tracing::info!(address = %settings.listen, port, backend = ?backend, intake_writers = writers, "meldpunt is listening");
        Ok(Application { server: server.run(), port, backend, metrics })
    }

    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener (`None` when `metrics_listen` is empty).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// The database backend in use.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM), then finishes the
    /// requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        match self.metrics {
            Some((metrics, _)) => futures_util::future::try_join(self.server, metrics).await.map(|_| ()),
            None => self.server.await,
        }
    }
}

/// The metrics listener, bound when `metrics_listen` is set. It is a listener of its own so
/// that the metrics (which describe the service's insides) are never reachable where the
/// public API is: the operator exposes it only to the monitoring network.
fn metrics_listener(settings: &Settings) -> anyhow::Result<Option<TcpListener>> {
    if settings.metrics_listen.trim().is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(settings.metrics_listen.trim())
        .with_context(|| format!("cannot listen for metrics on {}", settings.metrics_listen))?;
    Ok(Some(listener))
}

/// In a `meldpunt worker` process: serves `GET /metrics` on `metrics_listen` from a thread
/// of its own (the worker has no HTTP server otherwise), until the process ends.
fn serve_worker_metrics(settings: &Settings, db: &Database) -> anyhow::Result<()> {
    let Some(listener) = metrics_listener(settings)? else { return Ok(()) };
    let sources =
        crate::api::metrics::Sources { db: db.clone(), intake: None, handle: crate::api::metrics::recorder()? };
    tracing::info!(address = %settings.metrics_listen, "metrics are served at /metrics");
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        let served =
            actix_web::rt::System::new().block_on(async move { crate::api::metrics::server(listener, sources)?.await });
        if let Err(error) = served {
            tracing::warn!(%error, "the metrics listener stopped");
        }
    })?;
    Ok(())
}

/// The outbox worker's settings from the service settings.
fn outbox_settings(
    settings: &Settings,
    vapid: Option<crate::notify::webpush::VapidKeys>,
    links: crate::domain::subscription::LinkSigner,
) -> crate::jobs::outbox::OutboxSettings {
    crate::jobs::outbox::OutboxSettings {
        smtp_url: settings.smtp_url.clone(),
        smtp_ca_file: settings.smtp_ca_file.clone(),
        mail_dir: settings.mail_dir.clone(),
        from: settings.mail_from.clone(),
        public_url: settings.public_url.clone(),
        poll: Duration::from_millis(settings.outbox_poll_ms.max(10)),
        retry_base: Duration::from_millis(settings.outbox_retry_ms.max(1)),
        max_attempts: i32::try_from(settings.outbox_max_attempts.max(1)).unwrap_or(i32::MAX),
        webhook_allow_insecure: settings.webhook_allow_insecure,
        vapid,
        links,
        batch: settings.outbox_batch.max(1),
        concurrency: settings.outbox_concurrency.max(1),
    }
}

/// The retention job's settings from the service settings.
fn retention_settings(settings: &Settings) -> anyhow::Result<crate::jobs::retention::RetentionSettings> {
    Ok(crate::jobs::retention::RetentionSettings {
        policy: settings.retention_policy()?,
        batch: settings.retention_batch.max(1),
        daily_at: settings.retention_daily_at()?,
        lease: chrono::Duration::seconds(settings.retention_lease_seconds.max(1)),
    })
}

/// Starts the outbox worker, the publisher of scheduled announcements (and report alerts)
/// and the daily retention run; all stop when `alive` is gone. Returns the outbox thread.
fn start_background_jobs<T: Send + Sync + 'static>(
    db: &Database,
    settings: &Settings,
    vapid: Option<crate::notify::webpush::VapidKeys>,
    links: crate::domain::subscription::LinkSigner,
    photos: Arc<dyn crate::storage::photos::PhotoStore>,
    alive: std::sync::Weak<T>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let delivery = outbox_settings(settings, vapid, links);
    // Report events to admins' endpoints: their own thread, with the outbox's settings.
    crate::jobs::report_events::start(db.clone(), delivery.clone(), alive.clone())?;
    let outbox = crate::jobs::outbox::start(db.clone(), delivery, alive.clone())?;
    crate::jobs::scheduler::start(
        db.clone(),
        Duration::from_millis(settings.announcement_poll_ms.max(10)),
        alive.clone(),
    )?;
    crate::jobs::retention::start(db.clone(), photos, retention_settings(settings)?, alive)?;
    Ok(outbox)
}

/// `meldpunt retention run`: runs the retention job once in this process (migrating the
/// database first, as a server start would), or with `dry_run` counts what it would do.
/// `now` is the moment the terms are measured from.
pub fn run_retention(
    settings: &Settings,
    dry_run: bool,
    now: chrono::DateTime<chrono::Utc>,
    max_batches: Option<u64>,
) -> anyhow::Result<crate::jobs::retention::RunOutcome> {
    use crate::jobs::retention::{RunOptions, Trigger, run_once};
    let retention = retention_settings(settings)?;
    let prepared = prepare(settings)?;
    let options = RunOptions { trigger: Trigger::Command, dry_run, now, max_batches };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let outcome =
        runtime.block_on(run_once(&prepared.db, prepared.photos.store.as_ref(), &retention, &options, &|| true))?;
    Ok(outcome)
}

/// The `meldpunt worker` command: delivers the outbox and publishes scheduled announcements
/// against the configured database (migrating it first, as a server start would; no
/// seeding, no HTTP) until SIGTERM or Ctrl-C, then finishes and records the batch in hand.
/// Several workers may run at once.
pub fn run_worker(settings: &Settings) -> anyhow::Result<()> {
    let db = Database::open(&DatabaseSettings {
        url: settings.database_url.clone(),
        pool_size: settings.database_pool_size,
        pool_timeout: Duration::from_millis(settings.database_pool_timeout_ms),
        sqlite_synchronous: settings.sqlite_synchronous,
    })
    .context("cannot open the database (check DATABASE_URL)")?;
    crate::storage::migrate::run(&mut *db.conn()?, |_| Ok(()))?;
    serve_worker_metrics(settings, &db)?;
    let vapid = settings.vapid_keys()?;
    let alive = Arc::new(());
    let outbox = start_background_jobs(
        &db,
        settings,
        vapid,
        link_signer(&db)?,
        open_photo_store(settings)?,
        Arc::downgrade(&alive),
    )?;
    tracing::info!(backend = ?db.backend(), "meldpunt worker is running");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        Ok::<(), std::io::Error>(())
    })?;
    tracing::info!("meldpunt worker is stopping after the batch in hand");
    drop(alive);
    if outbox.join().is_err() {
        anyhow::bail!("the outbox worker stopped abnormally");
    }
    tracing::info!("meldpunt worker stopped");
    Ok(())
}

struct Prepared {
    links: crate::domain::subscription::LinkSigner,
    sso_cookies: crate::domain::subscription::LinkSigner,
    db: Database,
    config: ConfigHandle,
    photos: crate::intake::photos::PhotoService,
}

/// Opens the database, migrates it, seeds the demo configuration if asked and empty, and
/// loads the catalog.
fn prepare(settings: &Settings) -> anyhow::Result<Prepared> {
    let db = Database::open(&DatabaseSettings {
        url: settings.database_url.clone(),
        pool_size: settings.database_pool_size,
        pool_timeout: Duration::from_millis(settings.database_pool_timeout_ms),
        sqlite_synchronous: settings.sqlite_synchronous,
    })
    .context("cannot open the database (check DATABASE_URL)")?;
    let seed = settings.seed_demo;
    let ((seeded, seeded_areas, seeded_figures), rolled_up) = crate::storage::migrate::run(&mut *db.conn()?, |conn| {
        let seeded = if seed {
            (
                crate::storage::seed::seed_demo_if_empty(conn)?,
                crate::storage::seed::seed_areas_if_empty(conn)?,
                crate::storage::seed::seed_figures_if_empty(conn)?,
            )
        } else {
            (false, false, 0)
        };
        // The statistics roll-up is filled from the reports once: after the migration that
        // made it (or a `meldpunt stats rebuild` that was stopped), under the same lock, so
        // processes starting together fill it once.
        Ok((seeded, crate::storage::rollup::ensure_built(conn)?))
    })?;
    if seeded {
        tracing::info!("seeded the Heerlen demo configuration (departments and categories)");
    }
    if seeded_areas {
        tracing::info!("seeded the CBS areas: Heerlen's buurten and wijken and all gemeenten (2025)");
    }
    if seeded_figures > 0 {
        tracing::info!(figures = seeded_figures, "seeded the CBS key figures of Heerlen (2023 and 2024)");
    }
    if let Some(read) = rolled_up {
        tracing::info!(reports = read, "filled the statistics roll-up from the reports");
    }
    crate::storage::bootstrap::admin_if_none(
        &mut *db.conn()?,
        &settings.bootstrap_admin_email,
        &settings.bootstrap_admin_password,
    )?;
    let config = ConfigHandle::load(db.clone())?;
    let photos = crate::intake::photos::PhotoService {
        store: open_photo_store(settings)?,
        secret: crate::storage::photos::upload_secret(&mut *db.conn()?)?.into_bytes(),
        max_count: settings.photo_max_count,
        max_bytes: settings.photo_max_bytes,
    };
    let links = link_signer(&db)?;
    if let Some(accounts) = crate::storage::accounts::without_admin(&mut *db.conn()?)? {
        let code = crate::domain::auth::setup_code(&links, accounts);
        tracing::warn!(
            "no active admin account yet: open {}/console/setup and enter the setup code {code} to make the first \
             one, or start once with MELDPUNT_BOOTSTRAP_ADMIN_EMAIL and MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD set \
             (docs/configuration.md)",
            settings.public_url.trim_end_matches('/')
        );
    }
    let sso_secret = crate::storage::subscriptions::link_secret(&mut *db.conn()?, SSO_COOKIE_SECRET)?;
    let sso_cookies = crate::domain::subscription::LinkSigner::new(sso_secret.as_bytes());
    Ok(Prepared { links, sso_cookies, db, config, photos })
}

/// The purpose of the secret that signs the single sign-on login cookie (its own, so a
/// subscriber's link can never pass for a login cookie or the other way round).
const SSO_COOKIE_SECRET: &str = "sso_login_cookie";

/// The single sign-on state from the settings: the identity provider when `oidc.issuer` is
/// set (nothing is fetched from it yet), and whether passwords work.
fn sso_state(
    settings: &Settings,
    cookies: crate::domain::subscription::LinkSigner,
) -> anyhow::Result<crate::api::sso::Sso> {
    let provider = match settings.oidc_config()? {
        Some(config) => {
            tracing::info!(issuer = %config.issuer, "single sign-on with OpenID Connect is on");
            Some(Arc::new(crate::oidc::Provider::new(config)?))
        }
        None => None,
    };
    Ok(crate::api::sso::Sso {
        provider,
        password_login: settings.oidc.password_login,
        create_accounts: settings.oidc.create_accounts,
        cookies,
        redirect_uri: format!("{}/console/login/oidc/callback", settings.public_url.trim_end_matches('/')),
        post_logout_redirect_uri: format!("{}/console/login", settings.public_url.trim_end_matches('/')),
    })
}

/// The signer of subscribers' links, with the secret every process shares (made on first use).
fn link_signer(db: &Database) -> anyhow::Result<crate::domain::subscription::LinkSigner> {
    let secret =
        crate::storage::subscriptions::link_secret(&mut *db.conn()?, crate::jobs::subscriber_messages::LINK_SECRET)?;
    Ok(crate::domain::subscription::LinkSigner::new(secret.as_bytes()))
}

/// Checks now and then whether another process changed the configuration, and reloads
/// what changed. Stops when the application state is gone.
fn spawn_config_refresh(config: &ConfigHandle, alive: std::sync::Weak<AppState>, every_ms: u64) {
    if every_ms == 0 {
        return;
    }
    let config = config.clone();
    let spawned = std::thread::Builder::new().name("config-refresh".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(every_ms));
            if alive.strong_count() == 0 {
                return;
            }
            if let Err(error) = config.refresh() {
                tracing::warn!(%error, "configuration refresh failed; keeping the previous one");
            }
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the configuration refresher");
    }
}

/// The configured photo store: a local folder (by default `photos` beside the SQLite file)
/// or an S3 bucket.
fn open_photo_store(settings: &Settings) -> anyhow::Result<Arc<dyn crate::storage::photos::PhotoStore>> {
    use crate::storage::photos::{LocalPhotoStore, S3PhotoStore, S3Settings};
    if settings.photo_store == "s3" {
        let store = S3PhotoStore::open(&S3Settings {
            bucket: settings.s3_bucket.clone(),
            endpoint: settings.s3_endpoint.clone(),
            region: settings.s3_region.clone(),
            access_key_id: settings.s3_access_key_id.clone(),
            secret_access_key: settings.s3_secret_access_key.clone(),
            path_style: settings.s3_path_style,
            prefix: settings.s3_prefix.clone(),
        })
        .context("cannot set up the S3 photo store (check the s3_* settings)")?;
        return Ok(Arc::new(store));
    }
    let folder = if !settings.photo_dir.is_empty() {
        std::path::PathBuf::from(&settings.photo_dir)
    } else if crate::storage::connection::backend_of(&settings.database_url) == BackendKind::Sqlite {
        let file = std::path::Path::new(crate::storage::connection::sqlite_path(&settings.database_url));
        file.parent().map(|p| p.join("photos")).unwrap_or_else(|| "photos".into())
    } else {
        std::path::PathBuf::from("data/photos")
    };
    Ok(Arc::new(LocalPhotoStore::open(folder)))
}
