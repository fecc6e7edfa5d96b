//! Profile and group photos from this page: a picked file's bytes posted
//! as they are (the server crops, resizes and strips them), or the photo
//! taken away. Then the person's own `me` carries the new URL; a group's
//! arrives with `chatUpdated` like any group change.

use super::Live;
use crate::protocol::{ErrorReply, PhotoSet};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Posts `file` to `path` (`MY_PHOTO_PATH` or a group's); the new photo's
/// URL, or why not as a person reads it.
pub async fn upload(path: &str, file: web_sys::File) -> Result<String, String> {
    let response = send("POST", path, Some(&file)).await?;
    let text = read_text(&response).await?;
    serde_json::from_str::<PhotoSet>(&text)
        .map(|set| set.photo_url)
        .map_err(|_| "the server's answer could not be read".to_owned())
}

/// Takes the photo at `path` away.
pub async fn remove(path: &str) -> Result<(), String> {
    send("DELETE", path, None).await.map(drop)
}

impl Live {
    /// This person's photo is now `url` (or none), on this page.
    pub fn set_my_photo(self, url: Option<String>) {
        self.me.update(|me| {
            if let Some(me) = me {
                me.photo_url = url;
            }
        });
    }
}

/// `method path` with this page's cookie; a 2xx answer, or the server's
/// reason (its error's message).
async fn send(
    method: &str,
    path: &str,
    body: Option<&web_sys::File>,
) -> Result<web_sys::Response, String> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(file) = body {
        init.set_body(file);
    }
    let offline = |_: JsValue| "Parley cannot reach the server; try again".to_owned();
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(offline)?
        .dyn_into()
        .map_err(offline)?;
    if response.ok() {
        return Ok(response);
    }
    let text = read_text(&response).await.unwrap_or_default();
    Err(serde_json::from_str::<ErrorReply>(&text)
        .map(|reply| reply.error.message)
        .unwrap_or_else(|_| format!("the server answered {}", response.status())))
}

async fn read_text(response: &web_sys::Response) -> Result<String, String> {
    let unreadable = |_: JsValue| "the server's answer could not be read".to_owned();
    let text = JsFuture::from(response.text().map_err(unreadable)?)
        .await
        .map_err(unreadable)?;
    Ok(text.as_string().unwrap_or_default())
}
