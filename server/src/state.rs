//! What every handler can reach.

use crate::{
    auth::{AuthService, OriginPolicy},
    config::Settings,
    metrics::Metrics,
    realtime::SessionSockets,
    store::Store,
};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: AuthService,
    /// The Redis connection behind the Socket.IO adapter, when there is one.
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Whether live delivery between nodes works (watched), with Redis.
    pub fan_out: Option<crate::realtime::FanOut>,
    pub origins: OriginPolicy,
    /// Ends sessions' sockets on every node (sign-out, password change).
    pub sockets: Arc<dyn SessionSockets>,
    /// Group changes made over HTTP (a group's photo), announced as the
    /// socket's are.
    pub groups: Arc<dyn crate::realtime::GroupChanges>,
    /// The chat lists pages render into their first HTML.
    pub chats: app::ui::PageChats,
    /// What the sign-up and Admin pages render into their first HTML.
    pub instance: app::ui::PageInstance,
    /// What instance admins do.
    pub admin: crate::admin::Admin,
    pub metrics: Arc<Metrics>,
    /// Web Push: the instance's key and what subscriptions may name.
    pub push: PushDesk,
    /// Where attachments' bytes are.
    pub media: crate::media::Media,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    /// Where the site's files are served from (embedded, or a directory).
    pub site_files: crate::site::Files,
    /// `/sw.js` for this build (see `site::worker`).
    pub service_worker: Arc<str>,
    /// `/offline` for this build.
    pub offline_page: Arc<str>,
}

/// What the push routes need (see `push/`).
#[derive(Clone)]
pub struct PushDesk {
    pub vapid: Arc<crate::push::Vapid>,
    pub config: crate::push::PushConfig,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
