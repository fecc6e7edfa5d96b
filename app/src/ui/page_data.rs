//! Who is looking at the page. The server resolves the session cookie once per
//! request (see the server's `auth::middleware`) and leaves the answer in the
//! request's extensions as a [`Viewer`]; pages read it through [`signed_in`].

use crate::model::User;
#[cfg(feature = "ssr")]
use crate::protocol::ChatPage;
use leptos::prelude::*;

/// The signed-in person of this request, if any. Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct Viewer(pub Option<User>);

/// Where this request comes from (as the server's throttles count it).
/// Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct RequestFrom(pub std::net::IpAddr);

/// What a [`ChatSource`] answers: the data, or why it could not be read.
#[cfg(feature = "ssr")]
pub type PageData<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// Where the server finds what a person's first HTML shows: their chat list
/// and the chat they open, rendered before any WebAssembly runs. Server only.
#[cfg(feature = "ssr")]
pub trait ChatSource: Send + Sync + 'static {
    /// The first page of their chat list, as `listChats` answers it.
    fn first_chats(&self, user: crate::model::UserId) -> PageData<'_, ChatPage>;

    /// The chat as `joinRoom` would answer it, without marking anything seen
    /// (`None`: not theirs).
    fn opened_by(
        &self,
        user: crate::model::UserId,
        chat: crate::model::ChatId,
    ) -> PageData<'_, Option<crate::protocol::RoomJoined>>;

    /// The group behind an invite link, as `inviteInfo` answers it (its
    /// refusal when the link does not work, or `user` or their address
    /// `from` guessed too often).
    fn invite(
        &self,
        user: crate::model::UserId,
        from: std::net::IpAddr,
        token: String,
    ) -> PageData<'_, Result<crate::protocol::InvitePreview, crate::protocol::ApiError>>;
}

/// What the instance's own pages show (sign-up, the Admin page), answered
/// by the server for the first HTML. Server only.
#[cfg(feature = "ssr")]
pub trait InstanceSource: Send + Sync + 'static {
    /// Whether sign-up takes people, with this invitation if one came.
    fn signup(&self, invitation: Option<String>) -> PageData<'_, SignupState>;

    /// The Admin page for `viewer` (`None`: not an instance admin).
    fn admin_view(&self, viewer: User, asked: AdminAsk) -> PageData<'_, Option<AdminView>>;
}

/// The server's [`InstanceSource`], in each request's extensions. Server only.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct PageInstance(pub std::sync::Arc<dyn InstanceSource>);

/// What the sign-up page offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignupState {
    pub mode: crate::model::SignupMode,
    /// The invitation the page came with (`/join/<token>`) still lets
    /// someone in.
    pub invitation_usable: bool,
}

/// What `/invite/:token` shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InviteView {
    /// Sign in (or up) first.
    SignedOut,
    /// The group, for `me` to join.
    Open {
        me: User,
        group: crate::protocol::InvitePreview,
    },
    /// The link does not work (or its viewer must wait): why.
    Refused(crate::protocol::ApiError),
}

/// Which part of the lists the Admin page shows (from its address).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdminAsk {
    pub query: Option<String>,
    pub users_before: Option<String>,
    pub audit_before: Option<String>,
}

/// Everything the Admin page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdminView {
    pub figures: crate::protocol::InstanceFigures,
    pub users: crate::protocol::AdminUsersPage,
    pub signup: crate::model::SignupMode,
    pub invitations: crate::protocol::Invitations,
    pub audit: crate::protocol::AuditPage,
    /// Where people reach this instance (`--public-url`): what the links
    /// made here start with.
    pub public_url: String,
}

/// The server's [`ChatSource`], in each request's extensions. Server only.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct PageChats(pub std::sync::Arc<dyn ChatSource>);

/// The Content-Security-Policy nonce the server chose for this response (it
/// puts the same one in the header). Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Renders this response's inline scripts with the server's nonce (which
/// `leptos_axum` would otherwise pick by itself, unknown to the header).
#[cfg(feature = "ssr")]
pub fn adopt_csp_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The signed-in person, or `None`.
#[cfg(feature = "ssr")]
pub async fn current_user() -> Result<Option<User>, ServerFnError> {
    let parts: http::request::Parts =
        use_context().ok_or_else(|| ServerFnError::new("no request in context"))?;
    Ok(parts
        .extensions
        .get::<Viewer>()
        .and_then(|viewer| viewer.0.clone()))
}

/// Who is signed in, as a page's resource. The server answers from the
/// request ([`current_user`]); while hydrating, the browser takes that answer
/// from the page, and a page it builds later (a move within the running app)
/// takes the running page's own `live.me`. So the browser never asks the
/// server, and Parley has no server functions: the pages' data functions
/// below are plain server code, with no endpoint and no client code
/// (requests, the decoding of their errors) in the WebAssembly.
pub fn signed_in() -> Resource<Result<Option<User>, ServerFnError>> {
    #[cfg(not(feature = "ssr"))]
    let live = expect_context::<super::Live>();
    Resource::new(
        || (),
        move |_| async move {
            #[cfg(feature = "ssr")]
            return current_user().await;
            #[cfg(not(feature = "ssr"))]
            match live.me.get_untracked() {
                Some(me) => Ok(Some(me)),
                // Someone this page does not know yet (no link leads there so
                // far): the server does, so ask it for the whole page. Only
                // once the page runs: a hydrating page has the server's answer.
                None if super::hydrated() => {
                    let _ = window().location().reload();
                    std::future::pending().await
                }
                None => Ok(None),
            }
        },
    )
}

/// The first page of the signed-in person's chat list (empty for nobody):
/// rendered into the first HTML, then kept live by the socket.
#[cfg(feature = "ssr")]
pub async fn first_chats() -> Result<ChatPage, ServerFnError> {
    let Some((user, PageChats(source))) = page_source()? else {
        return Ok(ChatPage::default());
    };
    source
        .first_chats(user.id)
        .await
        .map_err(ServerFnError::new)
}

/// The chat `/chats/:id` opens, with its latest messages and their ticks, for
/// the first HTML (`None` for nobody, or when it is not theirs).
#[cfg(feature = "ssr")]
pub async fn first_conversation(
    chat_id: crate::model::ChatId,
) -> Result<Option<crate::protocol::RoomJoined>, ServerFnError> {
    let Some((user, PageChats(source))) = page_source()? else {
        return Ok(None);
    };
    source
        .opened_by(user.id, chat_id)
        .await
        .map_err(ServerFnError::new)
}

/// What an invite link's page shows, for the first HTML; a link that does
/// not work answers `404`.
#[cfg(feature = "ssr")]
pub async fn invite_view(token: String) -> Result<InviteView, ServerFnError> {
    let Some((me, PageChats(source))) = page_source()? else {
        return Ok(InviteView::SignedOut);
    };
    let parts: http::request::Parts =
        use_context().ok_or_else(|| ServerFnError::new("no request in context"))?;
    let from = (parts.extensions.get::<RequestFrom>())
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |from| from.0);
    let answer = source
        .invite(me.id, from, token)
        .await
        .map_err(ServerFnError::new)?;
    Ok(match answer {
        Ok(group) => InviteView::Open { me, group },
        Err(refused) => {
            let status = match refused.code {
                crate::protocol::ErrorCode::RateLimited => http::StatusCode::TOO_MANY_REQUESTS,
                _ => http::StatusCode::NOT_FOUND,
            };
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
            InviteView::Refused(refused)
        }
    })
}

/// The sign-up page's offer, for the first HTML.
#[cfg(feature = "ssr")]
pub async fn signup_state(invitation: Option<String>) -> Result<SignupState, ServerFnError> {
    let parts: http::request::Parts =
        use_context().ok_or_else(|| ServerFnError::new("no request in context"))?;
    let Some(PageInstance(source)) = parts.extensions.get::<PageInstance>().cloned() else {
        return Ok(SignupState::default());
    };
    source.signup(invitation).await.map_err(ServerFnError::new)
}

/// The Admin page's data, for the first HTML (`None`: the viewer is no
/// instance admin).
#[cfg(feature = "ssr")]
pub async fn admin_view(asked: AdminAsk) -> Result<Option<AdminView>, ServerFnError> {
    let Some((viewer, PageInstance(source))) = page_source()? else {
        return Ok(None);
    };
    source
        .admin_view(viewer, asked)
        .await
        .map_err(ServerFnError::new)
}

/// What a page built in the browser after the first render does for data
/// only the server has: it asks the server for the whole page (a full
/// load of the address it is at).
#[cfg(not(feature = "ssr"))]
pub async fn from_the_server<T>() -> T {
    let _ = window().location().reload();
    std::future::pending().await
}

/// The viewer and where their data comes from, a source the server left in
/// the request's extensions (`None` when nobody is signed in).
#[cfg(feature = "ssr")]
fn page_source<Source: Clone + Send + Sync + 'static>()
-> Result<Option<(User, Source)>, ServerFnError> {
    let parts: http::request::Parts =
        use_context().ok_or_else(|| ServerFnError::new("no request in context"))?;
    let viewer = parts
        .extensions
        .get::<Viewer>()
        .and_then(|viewer| viewer.0.clone());
    Ok(match (viewer, parts.extensions.get::<Source>()) {
        (Some(user), Some(source)) => Some((user, source.clone())),
        _ => None,
    })
}
