//! Wiring: configuration in, a listening server out.

use crate::{
    admin::{Actor, Admin, InstancePages},
    auth::{AuthService, OriginPolicy},
    config::Settings,
    http,
    media::Media,
    metrics::Metrics,
    push::{self, PushConfig, Pushes},
    realtime::{
        self, Cluster, FanOut, Intake, Lifecycle, RealtimeConfig, ReconnectingRedisDriver,
        SessionEnds, SessionGate, SessionSockets, resp3_url,
    },
    site::{self, Site},
    state::{AppState, PushDesk},
    store::Store,
};
use anyhow::Context;
use app::{Route, shell};
use axum::serve::ListenerExt;
use axum::{Router, middleware};
use futures::future::BoxFuture;
use socketioxide::{SocketIo, SocketIoBuilder};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{net::TcpListener, task::JoinHandle};
use tower_http::{CompressionLevel, compression::CompressionLayer, trace::TraceLayer};

/// Closes every socket of this node (their disconnect handlers run).
type CloseSockets = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `/metrics`, apart from the public listener (none when the default
    /// address was taken).
    metrics: Option<(TcpListener, Router)>,
    close_sockets: CloseSockets,
    sweeper: JoinHandle<()>,
    /// This node's Web Push sender.
    pusher: JoinHandle<()>,
}

/// Socket.IO, mounted: the layer for the router, and the handles on its sockets.
struct Mounted {
    layer: Box<dyn FnOnce(Router) -> Router + Send>,
    /// Chat lists for the pages' first HTML.
    chats: Arc<dyn app::ui::ChatSource>,
    /// Group changes the HTTP routes make (a group's photo).
    groups: Arc<dyn realtime::GroupChanges>,
    sockets: Arc<dyn SessionSockets>,
    close_sockets: CloseSockets,
}

impl Application {
    /// Connects to the database (running migrations) and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // First: a site the pages cannot be served from is said at once.
        let hash_file = site::binary_dir().join(&settings.hash_file);
        let site = Site::choose(
            settings.site_root.as_deref(),
            settings.hash_files,
            &hash_file,
        )?;
        tracing::info!(%site, "serving the site");
        let store = Store::connect_with(&settings.database_url, settings.db_wait()).await?;
        let vapid = Arc::new(push::Vapid::of_instance(&store).await?);
        let media = Media::open(&settings.media_location(), settings.max_upload_bytes())
            .context("cannot open the store for uploads")?;
        let redis = match &settings.redis_url {
            Some(url) => Some(connect_redis(url).await?),
            None => None,
        };
        let listener = TcpListener::bind(settings.addr).await?;
        let metrics_listener = bind_metrics(settings.metrics_addr).await?;
        let leptos_options = site.leptos_options(listener.local_addr()?);
        let auth = AuthService::new(store.clone(), settings.session_ttl(), settings.throttling());
        let metrics = Arc::new(Metrics::new());
        let lifecycle = Lifecycle::default();
        metrics.register(store.batch_sizes());
        let fan_out = redis.as_ref().map(|_| FanOut::default());
        let sessions = SessionGate::new(metrics.session_lookups(), fan_out.clone());
        let config = RealtimeConfig {
            store: store.clone(),
            auth: auth.clone(),
            origins: OriginPolicy::new(&settings.allowed_origins),
            rate_limit: settings.rate_limit(),
            shares: settings.shares(),
            metrics: metrics.clone(),
            lifecycle: lifecycle.clone(),
            presence_recheck: settings.presence_recheck(),
            media: media.clone(),
            sessions,
            intake: Intake::new(store.read_connections()),
            fan_out: fan_out.clone(),
            pushes: Pushes::default(),
            public_url: settings.public_url(listener.local_addr().ok()).into(),
            trust_forwarded_for: settings.trust_forwarded_for,
        };
        let redis_connection = redis.as_ref().map(ReconnectingRedisDriver::connection);
        let mounted = with_socket_io(config.clone(), redis, fan_out.clone()).await?;
        let admin = Admin::new(
            store.clone(),
            &settings.public_url(listener.local_addr().ok()),
        );
        if let Some(mode) = settings.signup {
            admin.set_signup_mode(Actor::CommandLine, mode).await?;
        }
        let instance = app::ui::PageInstance(Arc::new(InstancePages {
            admin: admin.clone(),
            store: store.clone(),
            sockets: mounted.sockets.clone(),
        }));
        let state = AppState {
            auth,
            origins: config.origins,
            instance,
            admin,
            store,
            redis: redis_connection,
            fan_out,
            sockets: mounted.sockets,
            chats: app::ui::PageChats(mounted.chats),
            groups: mounted.groups,
            metrics,
            media,
            push: PushDesk {
                vapid,
                config: PushConfig {
                    contact: settings
                        .push_contact
                        .clone()
                        .unwrap_or_else(|| settings.public_url(listener.local_addr().ok())),
                    allow_http_loopback: settings.push_allow_http_loopback,
                },
            },
            settings: Arc::new(settings),
            leptos_options,
            service_worker: site::worker::script(&site).into(),
            offline_page: site::worker::offline_page(&site).into(),
            site_files: site.files,
        };
        let sweeper = tokio::spawn(sweep_every_hour(state.clone()));
        let pusher = push::start(
            state.store.clone(),
            state.push.vapid.clone(),
            state.push.config.clone(),
            config.pushes.clone(),
            &state.metrics,
        )?;
        let metrics = metrics_listener
            .map(|listener| (listener, http::metrics_routes().with_state(state.clone())));
        let router = (mounted.layer)(router(state));
        // Outside Socket.IO's layer, so it sees the handshake requests first.
        let router = router.layer(middleware::map_request(realtime::own_request_head));
        Ok(Self {
            listener,
            router,
            metrics,
            close_sockets: mounted.close_sockets,
            sweeper,
            pusher,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then closes every socket (their
    /// disconnect handlers run: presence, typing) and lets requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!("listening on http://{}", self.listener.local_addr()?);
        let close_sockets = self.close_sockets;
        let sweeper = self.sweeper;
        let pusher = self.pusher;
        let metrics = self.metrics.map(|(listener, router)| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("metrics on http://{addr}/metrics");
            }
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        // On the signal the listener stops at once (a page reconnecting must
        // reach the next server, not this one on its way out), while the
        // sockets are told and closed alongside; that finishes before we return.
        let (closing_tx, closing) = tokio::sync::oneshot::channel();
        let shutdown = async move {
            shutdown.await;
            sweeper.abort();
            pusher.abort();
            if let Some(metrics) = metrics {
                metrics.abort();
            }
            let _ = closing_tx.send(tokio::spawn(close_sockets()));
        };
        // Small frames go out at once: without TCP_NODELAY, Nagle holds a
        // frame back until the previous one is acknowledged, and the peer's
        // delayed ACK turns that into a 40 ms stall.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        // The peer's address reaches handlers (sign-in throttling per address).
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        if let Ok(closing) = closing.await {
            let _ = closing.await;
        }
        Ok(())
    }
}

/// The metrics' own listener: `addr` if given (it must bind), else the
/// default loopback port if it is free.
async fn bind_metrics(addr: Option<SocketAddr>) -> anyhow::Result<Option<TcpListener>> {
    const DEFAULT: &str = "127.0.0.1:9464";
    if let Some(addr) = addr {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {addr}"))?;
        return Ok(Some(listener));
    }
    match TcpListener::bind(DEFAULT).await {
        Ok(listener) => Ok(Some(listener)),
        Err(error) => {
            tracing::warn!(%error, "no metrics: {DEFAULT} is taken (give --metrics-addr)");
            Ok(None)
        }
    }
}

async fn connect_redis(url: &str) -> anyhow::Result<ReconnectingRedisDriver> {
    let url = resp3_url(url).map_err(anyhow::Error::msg)?;
    let client = redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
    ReconnectingRedisDriver::connect(client)
        .await
        .context("cannot connect to Redis")
}

/// Deletes expired sessions, spent throttling counts and uploads never sent
/// within a day, at start-up and then every hour.
async fn sweep_every_hour(state: AppState) {
    const UNSENT_UPLOADS_KEPT: Duration = Duration::from_secs(24 * 60 * 60);
    let mut every_hour = tokio::time::interval(Duration::from_secs(60 * 60));
    loop {
        every_hour.tick().await;
        if let Err(error) = state.auth.sweep().await {
            tracing::warn!(%error, "cannot sweep expired sessions");
        }
        crate::media::sweep_unsent(&state.store, &state.media, UNSENT_UPLOADS_KEPT).await;
    }
}

/// Socket.IO for the router: with the Redis adapter when Redis is configured
/// (rooms and broadcasts span every node), the local one otherwise.
async fn with_socket_io(
    config: RealtimeConfig,
    redis: Option<ReconnectingRedisDriver>,
    fan_out: Option<FanOut>,
) -> anyhow::Result<Mounted> {
    match redis.zip(fan_out) {
        None => {
            let (layer, io) = socket_io().build_layer();
            let ((), desks) = realtime::register(&io, config.clone());
            Ok(mounted(layer, io, &config, desks, None))
        }
        Some((driver, fan_out)) => {
            let watched = driver.clone();
            let adapter = RedisAdapterCtr::new_with_driver(driver, RedisAdapterConfig::default());
            let (layer, io) = socket_io()
                .with_adapter::<CustomRedisAdapter<_, ReconnectingRedisDriver>>(adapter)
                .build_layer();
            let (adapter_ready, desks) = realtime::register(&io, config.clone());
            adapter_ready
                .await
                .context("cannot set up the Redis adapter")?;
            realtime::watch_fan_out(&io, watched.clone(), fan_out, &config);
            Ok(mounted(layer, io, &config, desks, Some(watched)))
        }
    }
}

fn mounted<A: socketioxide::adapter::Adapter>(
    layer: socketioxide::layer::SocketIoLayer<A>,
    io: SocketIo<A>,
    config: &RealtimeConfig,
    desks: realtime::Desks,
    news: Option<ReconnectingRedisDriver>,
) -> Mounted {
    let cluster = Cluster::new(io.clone(), config.metrics.room_lookups());
    let lifecycle = config.lifecycle.clone();
    Mounted {
        layer: Box::new(move |router: Router| router.layer(layer)),
        chats: desks.chats,
        groups: desks.groups,
        sockets: Arc::new(SessionEnds::new(cluster, config.sessions.clone(), news)),
        // The background work stops first: nothing then announces into a
        // namespace that is closing.
        close_sockets: Box::new(move || {
            Box::pin(async move {
                lifecycle.close().await;
                io.close().await
            })
        }),
    }
}

fn socket_io() -> SocketIoBuilder {
    // 1 KiB read buffers: chat frames are small, and a larger one grows on demand.
    SocketIo::builder().ws_read_buffer_size(1024)
}

fn router(state: AppState) -> Router {
    // Rendering spawns the pages' resources on tokio (already chosen when the
    // server is started again in the same process, as tests do).
    let _ = any_spawner::Executor::init_tokio();
    // Each page is rendered whole, its data in place (every resource
    // awaited), before the answer goes out.
    let page = {
        let options = state.leptos_options.clone();
        leptos_axum::render_app_async_with_context(|| (), move || shell(options.clone()))
    };
    Route::SERVED
        .into_iter()
        .fold(Router::new(), |router, path| {
            router.route(path, axum::routing::get(page.clone()))
        })
        .route(site::worker::PATH, axum::routing::get(site::worker::serve))
        .route(
            site::worker::OFFLINE,
            axum::routing::get(site::worker::serve_offline),
        )
        .route(
            site::worker::OFFLINE_SCRIPT,
            axum::routing::get(site::worker::serve_offline_script),
        )
        .merge(http::routes())
        .fallback(site::serve)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::resolve_viewer,
        ))
        .layer(middleware::from_fn_with_state(
            http::SecurityPolicy::new(
                state.leptos_options.site_addr,
                state.leptos_options.reload_port,
            ),
            http::security_headers,
        ))
        .layer(middleware::from_fn(http::cache_control))
        // Pages and JSON compressed, brotli first, by `Accept-Encoding` (the
        // site's files were compressed once at build time, at the best level).
        // Drawn per request, a page gets brotli's quick level: at level 4 (the
        // default) a page's brotli tables were a tenth of its CPU. (Socket.IO's
        // own traffic is answered by its layer, outside this router.)
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(1)))
        .merge(http::media_routes())
        .layer(middleware::from_fn_with_state(
            state.origins.clone(),
            http::refuse_foreign_writes,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
