//! How each boundary's refusals reach the client: every `From<…> for
//! ApiError` and the few refusals made by name, in one place, so the same
//! refusal reads the same on the socket and over HTTP (docs/PROTOCOL.md, §7).

use crate::{
    admin::AdminError,
    auth::AuthError,
    media::{ImageError, MediaError},
    push::PushError,
    store::{ChangeError, GroupError, PrefsError, StoreError},
};
use app::protocol::{ApiError, ErrorCode};

impl From<PushError> for ApiError {
    fn from(error: PushError) -> Self {
        match error {
            PushError::InvalidSubscription(why) => {
                ApiError::new(ErrorCode::InvalidSubscription, why)
            }
            PushError::Store(store) => store.into(),
        }
    }
}

/// Carries the cause along; whoever answers the client logs it (once).
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => ApiError::new(ErrorCode::BadRequest, "already exists"),
            StoreError::Unavailable(_) => ApiError::new(
                ErrorCode::Unavailable,
                "the database is unavailable; try again",
            )
            .caused_by(error),
            StoreError::Database(_) => {
                ApiError::new(ErrorCode::Internal, "internal error").caused_by(error)
            }
            StoreError::NotYours => ApiError::new(ErrorCode::NotFound, error.to_string()),
            StoreError::ClientIdElsewhere => {
                ApiError::new(ErrorCode::InvalidClientId, error.to_string())
            }
        }
    }
}

/// A refused sign-up, sign-in or session.
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        match error {
            AuthError::Invalid(invalid) => invalid.into(),
            AuthError::UsernameTaken => ApiError::new(ErrorCode::UsernameTaken, message),
            AuthError::InvalidCredentials => ApiError::new(ErrorCode::InvalidCredentials, message),
            AuthError::Unauthorized => ApiError::new(ErrorCode::Unauthorized, message),
            AuthError::SignupClosed(_) => ApiError::new(ErrorCode::SignupClosed, message),
            AuthError::Deactivated => ApiError::new(ErrorCode::Deactivated, message),
            AuthError::InvalidLink => ApiError::new(ErrorCode::InvalidLink, message),
            AuthError::Throttled { .. } => ApiError::new(ErrorCode::RateLimited, message),
            AuthError::Busy => ApiError::new(ErrorCode::Unavailable, message),
            AuthError::Store(store) => store.into(),
            AuthError::Hashing(_) => {
                ApiError::new(ErrorCode::Internal, "internal error").caused_by(message)
            }
        }
    }
}

/// A refused admin action (who may act was decided before).
impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let message = error.to_string();
        match error {
            AdminError::NoSuchUser => ApiError::new(ErrorCode::UserNotFound, message),
            AdminError::NoSuchInvitation => ApiError::new(ErrorCode::NotFound, message),
            AdminError::LastAdmin => ApiError::new(ErrorCode::BadRequest, message),
            AdminError::Auth(auth) => auth.into(),
            AdminError::Store(store) => store.into(),
        }
    }
}

/// The refusal of a request that only instance admins may make.
pub fn not_admin() -> ApiError {
    ApiError::new(ErrorCode::NotAdmin, "only instance admins may do this")
}

/// A refused upload.
impl From<MediaError> for ApiError {
    fn from(error: MediaError) -> Self {
        let message = error.to_string();
        match error {
            MediaError::TooLarge(_) => ApiError::new(ErrorCode::TooLarge, message),
            MediaError::Unsupported => ApiError::new(
                ErrorCode::UnsupportedType,
                "this kind of file is not accepted (photos: JPEG, PNG, WebP, GIF; files: PDF, \
                 ZIP, MP3, Ogg, MP4, WebM)",
            ),
            MediaError::Image(ImageError::TooLarge) => ApiError::new(ErrorCode::TooLarge, message),
            MediaError::Image(ImageError::Unreadable(_)) => {
                ApiError::new(ErrorCode::UnsupportedType, "the picture cannot be read")
                    .caused_by(message)
            }
            MediaError::BrokenOff(_) => ApiError::new(ErrorCode::BadRequest, message),
            MediaError::Storage(_) => ApiError::new(
                ErrorCode::Unavailable,
                "the file store is unavailable; try again",
            )
            .caused_by(message),
        }
    }
}

/// A refused change to a message (edit, delete, react, a reply's target).
impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> Self {
        let code = match error {
            ChangeError::Store(store) => return store.into(),
            ChangeError::NotFound => ErrorCode::NotFound,
            ChangeError::NotAuthor => ErrorCode::NotAuthor,
            ChangeError::Deleted => ErrorCode::Deleted,
            ChangeError::TooManyReactions => ErrorCode::TooManyReactions,
        };
        ApiError::new(code, error.to_string())
    }
}

/// A refused change to one's own view of a chat (pin, mute, archive …).
impl From<PrefsError> for ApiError {
    fn from(error: PrefsError) -> Self {
        let code = match error {
            PrefsError::Store(store) => return store.into(),
            PrefsError::NotMember => ErrorCode::NotMember,
            PrefsError::TooManyPinned => ErrorCode::TooManyPinned,
        };
        ApiError::new(code, error.to_string())
    }
}

/// A refused change to a group (rename, add, remove, appoint, leave).
impl From<GroupError> for ApiError {
    fn from(error: GroupError) -> Self {
        let code = match error {
            GroupError::Store(store) => return store.into(),
            GroupError::NotFound | GroupError::NoSuchMember => ErrorCode::NotFound,
            GroupError::NotMember => ErrorCode::NotMember,
            GroupError::NotGroup => ErrorCode::NotGroup,
            GroupError::NotAdmin => ErrorCode::NotAdmin,
            GroupError::TooManyMembers => ErrorCode::InvalidMembers,
            GroupError::LastAdmin => ErrorCode::BadRequest,
            GroupError::InviteGone => ErrorCode::NotFound,
            GroupError::RemovedByAdmins | GroupError::BlockedByInviter => ErrorCode::NotAllowed,
        };
        ApiError::new(code, error.to_string())
    }
}

/// What a blocked person is told: no more than that.
pub fn cannot_message() -> ApiError {
    ApiError::new(ErrorCode::Blocked, "you can't message this person")
}

/// A chat that does not exist, or one named by something that is not a chat id.
pub fn no_such_chat() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such chat")
}
