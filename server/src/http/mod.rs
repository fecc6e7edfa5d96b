//! HTTP routes besides the pages: the JSON auth API, the HTML form posts, the
//! health check and the metrics; and the security headers every response gets.

mod admin;
mod admin_page;
mod api;
mod attachments;
mod caching;
mod client_addr;
mod cookie;
mod error;
mod forms;
mod health;
mod metrics;
mod photos;
mod push;
mod security;
mod viewer;

pub use caching::cache_control;
pub use client_addr::client_addr;
pub use error::{ApiJson, HttpError};
pub use security::{Policy as SecurityPolicy, refuse_foreign_writes, security_headers};
pub use viewer::{AdminOnly, Authenticated, resolve_viewer};

use crate::state::AppState;
use axum::{
    Router,
    routing::{get, post, put},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(api::signup))
        .route("/api/auth/login", post(api::login))
        .route("/api/auth/logout", post(api::logout))
        .route("/api/auth/logout-all", post(api::logout_all))
        .route("/api/auth/password", post(api::change_password))
        .route("/api/auth/reset", post(api::reset_password))
        .route("/api/me", get(api::me).patch(api::update_me))
        .route("/api/push/key", get(push::key))
        .route(
            "/api/push/subscriptions",
            post(push::subscribe).delete(push::unsubscribe),
        )
        .merge(admin_routes())
        .route("/signup", post(forms::signup))
        .route("/login", post(forms::login))
        .route("/logout", post(forms::logout))
        .route("/logout-all", post(forms::logout_all))
        .route("/account/password", post(forms::change_password))
        .route("/account/profile", post(forms::change_display_name))
        .route("/reset/{token}", post(forms::reset_password))
        .route("/healthz", get(health::check))
        .route("/readyz", get(health::ready))
}

/// The instance admins' routes: the JSON API and the Admin page's forms,
/// each guarded by `AdminOnly`.
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(admin::users))
        .route(
            "/api/admin/users/{user_id}/deactivate",
            post(admin::deactivate),
        )
        .route(
            "/api/admin/users/{user_id}/reactivate",
            post(admin::reactivate),
        )
        .route("/api/admin/users/{user_id}/admin", put(admin::set_admin))
        .route(
            "/api/admin/users/{user_id}/reset-link",
            post(admin::reset_link),
        )
        .route(
            "/api/admin/signup",
            get(admin::signup).put(admin::set_signup),
        )
        .route(
            "/api/admin/invitations",
            get(admin::invitations).post(admin::invite),
        )
        .route(
            "/api/admin/invitations/{token}",
            axum::routing::delete(admin::revoke),
        )
        .route("/api/admin/audit", get(admin::audit))
        .route("/api/admin/figures", get(admin::figures))
        .route(
            "/admin/users/{user_id}/deactivate",
            post(admin_page::deactivate),
        )
        .route(
            "/admin/users/{user_id}/reactivate",
            post(admin_page::reactivate),
        )
        .route("/admin/users/{user_id}/admin", post(admin_page::set_admin))
        .route(
            "/admin/users/{user_id}/reset-link",
            post(admin_page::reset_link),
        )
        .route("/admin/signup", post(admin_page::set_signup))
        .route("/admin/invitations", post(admin_page::invite))
        .route(
            "/admin/invitations/{token}/revoke",
            post(admin_page::revoke),
        )
}

/// What the metrics listener serves (see `--metrics-addr`): the figures of
/// this node, for whoever can reach that address.
pub fn metrics_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics::render))
}

/// Attachments' bytes, and profile and group photos. Kept out of the pages' layers: they are served with
/// their own policy (nothing in them may run) and never recompressed (photos
/// are compressed already, and ranges count the stored bytes).
pub fn media_routes() -> Router<AppState> {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let fixed =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    Router::new()
        .route(
            "/api/chats/{chat_id}/attachments",
            post(attachments::upload),
        )
        .route("/api/attachments/{id}", get(attachments::download))
        .route(
            "/api/attachments/{id}/thumbnail",
            get(attachments::thumbnail),
        )
        .route(
            "/api/me/photo",
            post(photos::set_mine).delete(photos::remove_mine),
        )
        .route(
            "/api/chats/{chat_id}/photo",
            post(photos::set_group).delete(photos::remove_group),
        )
        .route(
            "/api/users/{user_id}/photos/{version}",
            get(photos::user_photo),
        )
        .route(
            "/api/chats/{chat_id}/photos/{version}",
            get(photos::chat_photo),
        )
        .layer(fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(fixed(header::X_FRAME_OPTIONS, "DENY"))
        .layer(fixed(header::REFERRER_POLICY, "same-origin"))
}
