//! What the paged events (`listChats`, `search`) share: how many a page
//! holds, and where it starts.

use app::protocol::{ApiError, ErrorCode};

/// The page's size: `asked`, else `default`, at most `max`; 0 is refused.
pub fn page_limit(asked: Option<u32>, default: u32, max: u32) -> Result<u64, ApiError> {
    match asked.unwrap_or(default) {
        0 => Err(ApiError::new(
            ErrorCode::BadRequest,
            "limit must be at least 1",
        )),
        limit => Ok(u64::from(limit.min(max))),
    }
}

/// Where the page starts: the cursor `before` names (`None` for the first
/// page); one this server could not have given is refused.
pub fn page_start<C>(
    before: Option<&str>,
    decode: impl FnOnce(&str) -> Option<C>,
) -> Result<Option<C>, ApiError> {
    before
        .map(|raw| {
            decode(raw).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    "before is not a cursor this server gave",
                )
            })
        })
        .transpose()
}
