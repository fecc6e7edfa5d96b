//! Wiring: configuration in, a listening server out.

use crate::{
    auth::{self, AuthService, OriginPolicy},
    config::Settings,
    http,
    realtime::{self, RateLimit, RealtimeConfig},
    state::AppState,
    store::Store,
};
use app::{App, shell};
use axum::{Router, middleware};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use socketioxide::SocketIo;
use std::{future::Future, net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    io: SocketIo,
}

impl Application {
    /// Connects to the database (running migrations) and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect(&settings.database_url).await?;
        let listener = TcpListener::bind(settings.addr).await?;
        let leptos_options = leptos_options(&settings, listener.local_addr()?);
        let state = AppState {
            auth: AuthService::new(store.clone(), settings.session_ttl()),
            origins: OriginPolicy::new(&settings.allowed_origins),
            store,
            settings: Arc::new(settings),
            leptos_options,
        };
        let (socket_layer, io) = SocketIo::builder().build_layer();
        realtime::register(&io, realtime_config(&state));
        let router = router(state).layer(socket_layer);
        Ok(Self {
            listener,
            router,
            io,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then closes every socket (their
    /// disconnect handlers run: presence, typing) and lets requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!("listening on http://{}", self.listener.local_addr()?);
        let io = self.io;
        let shutdown = async move {
            shutdown.await;
            io.close().await;
        };
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Leptos' options from our settings, independent of cargo-leptos' environment.
fn leptos_options(settings: &Settings, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("parley")
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

fn realtime_config(state: &AppState) -> RealtimeConfig {
    RealtimeConfig {
        store: state.store.clone(),
        auth: state.auth.clone(),
        origins: state.origins.clone(),
        rate_limit: RateLimit {
            per_second: state.settings.events_per_second,
            burst: state.settings.event_burst,
        },
    }
}

fn router(state: AppState) -> Router {
    let pages = generate_route_list(App);
    Router::new()
        .merge(http::routes())
        .leptos_routes(&state, pages, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::resolve_viewer,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
