//! `search`: the user's own messages and their chats', by words.

use super::{
    access::Access,
    dispatch::Ctx,
    paging::{page_limit, page_start},
    projection::with_status,
};
use crate::store::SearchCursor;
use app::{
    protocol::{ApiError, ChatRef, ErrorCode, Search, SearchHit, SearchResults},
    search::{SearchQuery, snippet},
};
use socketioxide::adapter::Adapter;

pub async fn search<A: Adapter>(ctx: Ctx<A>, request: Search) -> Result<SearchResults, ApiError> {
    let query = SearchQuery::parse(&request.query)
        .map_err(|error| ApiError::new(ErrorCode::BadRequest, error.to_string()))?;
    let limit = page_limit(request.limit, Search::DEFAULT_LIMIT, Search::MAX_LIMIT)?;
    let before = page_start(request.before.as_deref(), SearchCursor::decode)?;
    if let Some(chat_id) = request.chat_id {
        ctx.members_as_member(chat_id, Access::Read).await?;
    }
    let store = &ctx.realtime.store;
    let (found, next) = store
        .search(ctx.me().id, &query, request.chat_id, limit, before)
        .await?;
    let mut results = Vec::with_capacity(found.len());
    for hit in found {
        let watermarks = store.receipts(hit.chat.id).await?;
        let snippet = snippet(&app::format::plain(&hit.message.body), &query);
        results.push(SearchHit {
            message: with_status(hit.message, &watermarks),
            chat: ChatRef {
                id: hit.chat.id,
                kind: hit.chat.kind,
                name: hit.chat.name,
            },
            snippet,
        });
    }
    Ok(SearchResults {
        results,
        next: next.map(SearchCursor::encode),
    })
}
