//! The Admin page's form posts (`/admin/…`): the same actions as the JSON
//! API (`admin.rs`), guarded by the same [`AdminOnly`], answered with a
//! redirect back to `/admin` saying what was done (`?done=`) or why not
//! (`?error=<code>`).

use super::{
    HttpError,
    admin::{deactivate_and_end, user_id},
    viewer::AdminOnly,
};
use crate::{admin::Actor, state::AppState};
use app::{model::SignupMode, protocol::NewInvitation};
use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

/// Back to the page: `done` said, or the refusal's code.
fn back(result: Result<&str, HttpError>) -> Response {
    match result {
        Ok(done) => Redirect::to(&format!("/admin?done={done}")).into_response(),
        Err(refused) => {
            Redirect::to(&format!("/admin?error={}", refused.error.code.as_str())).into_response()
        }
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Response {
    back(
        async {
            deactivate_and_end(&state, Actor::Admin(&me), user_id(&user)?).await?;
            Ok("deactivated")
        }
        .await,
    )
}

pub async fn reactivate(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Response {
    back(
        async {
            state
                .admin
                .reactivate(Actor::Admin(&me), user_id(&user)?)
                .await?;
            Ok("reactivated")
        }
        .await,
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    admin: bool,
}

pub async fn set_admin(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    back(
        async {
            state
                .admin
                .set_admin(Actor::Admin(&me), user_id(&user)?, form.admin)
                .await?;
            Ok("admin")
        }
        .await,
    )
}

/// Comes back with the link's token and whose it is: the page shows the
/// link (it is never stored but as a hash).
pub async fn reset_link(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Response {
    let made = async {
        let user = user_id(&user)?;
        let link = state.admin.reset_link(Actor::Admin(&me), user).await?;
        let whose = state.store.user(user).await?.map(|found| found.username);
        Ok::<_, HttpError>((link.token, whose))
    }
    .await;
    match made {
        Ok((token, whose)) => {
            let query = serde_urlencoded::to_string([
                ("resetToken", token),
                ("resetFor", whose.unwrap_or_default()),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("/admin?{query}")).into_response()
        }
        Err(refused) => back(Err(refused)),
    }
}

#[derive(Deserialize)]
pub struct SignupForm {
    mode: String,
}

pub async fn set_signup(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Form(form): Form<SignupForm>,
) -> Response {
    back(
        async {
            let mode = SignupMode::parse(&form.mode).ok_or_else(|| {
                HttpError::from(app::protocol::ApiError::new(
                    app::protocol::ErrorCode::BadRequest,
                    "no such sign-up mode",
                ))
            })?;
            state.admin.set_signup_mode(Actor::Admin(&me), mode).await?;
            Ok("signup")
        }
        .await,
    )
}

/// The form's numbers: an empty field is "no limit".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationForm {
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    expires_in_hours: String,
}

pub async fn invite(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Form(form): Form<InvitationForm>,
) -> Response {
    let number = |field: &str| field.trim().parse::<u32>().ok().filter(|n| *n > 0);
    let new = NewInvitation {
        max_uses: number(&form.max_uses),
        expires_in_hours: number(&form.expires_in_hours),
    };
    back(
        async {
            state.admin.invite(Actor::Admin(&me), new).await?;
            Ok("invited")
        }
        .await,
    )
}

pub async fn revoke(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(token): Path<String>,
) -> Response {
    back(
        async {
            state.admin.revoke(Actor::Admin(&me), &token).await?;
            Ok("revoked")
        }
        .await,
    )
}
