//! Photos and files in the conversation: the composer's uploads (each with
//! its progress, each cancellable), how a message shows what it carries, and
//! the full-size viewer.

use super::widgets::{Icon, IconShape, Modal, NotLoaded, built_alone};
use crate::{
    media::{Attachment, THUMBNAIL_EDGE, human_size, upload_path},
    model::{AttachmentId, ChatId, Message},
    protocol::ErrorReply,
};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, closure::Closure};

/// One file on its way up, in the composer's tray.
#[derive(Clone, Debug, PartialEq)]
pub struct Upload {
    key: u64,
    name: String,
    size: u64,
    state: UploadState,
}

#[derive(Clone, Debug, PartialEq)]
enum UploadState {
    Sending { sent: u64 },
    Done(Attachment),
    Failed(String),
}

/// The composer's uploads, as the tray shows them.
#[derive(Clone, Copy)]
pub struct Uploads {
    tray: RwSignal<Vec<Upload>>,
}

thread_local! {
    /// The requests still running, by upload key, so they can be cancelled.
    /// Browser only: a thread-local rather than a reactive value, since the
    /// server renders the composer too and may drop its owner on another
    /// thread (which a thread-bound value does not survive).
    static RUNNING: RefCell<Vec<(u64, web_sys::XmlHttpRequest)>> = const { RefCell::new(Vec::new()) };
    static NEXT_KEY: Cell<u64> = const { Cell::new(0) };
}

impl Uploads {
    pub fn new() -> Self {
        Self {
            tray: RwSignal::new(Vec::new()),
        }
    }

    /// Something is still going up (tracked: for views and effects).
    pub fn busy(self) -> bool {
        self.tray.with(|tray| any_sending(tray))
    }

    pub fn busy_untracked(self) -> bool {
        self.tray.with_untracked(|tray| any_sending(tray))
    }

    /// Uploaded and waiting for the message (tracked).
    pub fn any_done(self) -> bool {
        self.tray.with(|tray| any_done(tray))
    }

    pub fn any_done_untracked(self) -> bool {
        self.tray.with_untracked(|tray| any_done(tray))
    }

    /// What the message takes (in the order they were added); the tray empties.
    pub fn take_done(self) -> Vec<Attachment> {
        let tray = self.tray.try_update(std::mem::take).unwrap_or_default();
        tray.into_iter()
            .filter_map(|upload| match upload.state {
                UploadState::Done(attachment) => Some(attachment),
                _ => None,
            })
            .collect()
    }

    /// Gives back what a refused message took (to send again or remove).
    pub fn put_back(self, attachments: Vec<Attachment>) {
        for attachment in attachments {
            let key = self.fresh_key();
            self.tray.update(|tray| {
                tray.push(Upload {
                    key,
                    name: attachment.name.clone(),
                    size: attachment.size,
                    state: UploadState::Done(attachment),
                })
            });
        }
    }

    /// Every file of a file list (picked, dropped or pasted) starts going up.
    pub fn add_all(self, chat_id: ChatId, files: Option<web_sys::FileList>) {
        let Some(files) = files else { return };
        for index in 0..files.length() {
            if let Some(file) = files.item(index) {
                self.add(chat_id, file);
            }
        }
    }

    fn fresh_key(self) -> u64 {
        NEXT_KEY.replace(NEXT_KEY.get() + 1)
    }

    fn add(self, chat_id: ChatId, file: web_sys::File) {
        let key = self.fresh_key();
        let upload = Upload {
            key,
            name: file.name(),
            size: file.size() as u64,
            state: UploadState::Sending { sent: 0 },
        };
        self.tray.update(|tray| tray.push(upload));
        match self.start(chat_id, key, &file) {
            Ok(request) => RUNNING.with_borrow_mut(|running| running.push((key, request))),
            Err(_) => self.set_state(key, UploadState::Failed("Cannot upload this file".into())),
        }
    }

    /// The request: the file's bytes as the body, progress as it goes, the
    /// attachment (or why not) at the end.
    fn start(
        self,
        chat_id: ChatId,
        key: u64,
        file: &web_sys::File,
    ) -> Result<web_sys::XmlHttpRequest, wasm_bindgen::JsValue> {
        let request = web_sys::XmlHttpRequest::new()?;
        let name: String = js_sys::encode_uri_component(&file.name()).into();
        request.open("POST", &format!("{}?name={name}", upload_path(chat_id)))?;
        let declared = file.type_();
        if !declared.is_empty() {
            request.set_request_header("Content-Type", &declared)?;
        }
        let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
            move |event: web_sys::ProgressEvent| {
                let sent = event.loaded() as u64;
                self.set_state(key, UploadState::Sending { sent });
            },
        );
        request
            .upload()?
            .set_onprogress(Some(progress.as_ref().unchecked_ref()));
        let finished = {
            let request = request.clone();
            Closure::once_into_js(move || {
                drop(progress);
                self.finished(key, &request);
            })
        };
        request.set_onloadend(Some(finished.unchecked_ref()));
        request.send_with_opt_blob(Some(file))?;
        Ok(request)
    }

    fn finished(self, key: u64, request: &web_sys::XmlHttpRequest) {
        RUNNING.with_borrow_mut(|running| running.retain(|(k, _)| *k != key));
        let text = request.response_text().ok().flatten().unwrap_or_default();
        let state = match request.status() {
            // Cancelled: it has left the tray already.
            Ok(0) if self.position(key).is_none() => return,
            Ok(201) => match serde_json::from_str::<Attachment>(&text) {
                Ok(attachment) => UploadState::Done(attachment),
                Err(_) => UploadState::Failed("The upload failed".into()),
            },
            _ => UploadState::Failed(
                serde_json::from_str::<ErrorReply>(&text)
                    .map(|reply| reply.error.message)
                    .unwrap_or_else(|_| "The upload failed; check your connection".into()),
            ),
        };
        self.set_state(key, state);
    }

    /// Stops it (if still going) and takes it out of the tray.
    pub fn remove(self, key: u64) {
        self.tray
            .update(|tray| tray.retain(|upload| upload.key != key));
        let request = RUNNING.with_borrow_mut(|running| {
            let at = running.iter().position(|(k, _)| *k == key)?;
            Some(running.remove(at).1)
        });
        if let Some(request) = request {
            let _ = request.abort();
        }
    }

    fn position(self, key: u64) -> Option<usize> {
        self.tray
            .with_untracked(|tray| tray.iter().position(|upload| upload.key == key))
    }

    fn set_state(self, key: u64, state: UploadState) {
        self.tray.update(|tray| {
            if let Some(upload) = tray.iter_mut().find(|upload| upload.key == key) {
                upload.state = state;
            }
        });
    }
}

fn any_sending(tray: &[Upload]) -> bool {
    tray.iter()
        .any(|upload| matches!(upload.state, UploadState::Sending { .. }))
}

fn any_done(tray: &[Upload]) -> bool {
    tray.iter()
        .any(|upload| matches!(upload.state, UploadState::Done(_)))
}

/// The tray above the composer: each upload with its progress bar and a
/// button to remove it (cancelling it if it is still going).
#[component]
pub fn UploadTray(uploads: Uploads) -> impl IntoView {
    move || {
        let tray = uploads.tray.get();
        (!tray.is_empty()).then(|| {
            let items = tray
                .into_iter()
                .map(|upload| {
                    let key = upload.key;
                    let label = format!("Remove {}", upload.name);
                    let status = match &upload.state {
                        UploadState::Sending { sent } => view! {
                            <progress max=upload.size.max(1).to_string() value=(*sent).min(upload.size).to_string()
                                aria-label=format!("Uploading {}", upload.name) data-testid="upload-progress"></progress>
                        }
                        .into_any(),
                        UploadState::Done(_) => view! { <span class="upload-ready">"Ready"</span> }.into_any(),
                        UploadState::Failed(reason) => {
                            view! { <span class="upload-failed" role="alert">{reason.clone()}</span> }.into_any()
                        }
                    };
                    view! {
                        <li class="upload" data-testid="upload">
                            <span class="upload-name">{upload.name.clone()}</span>
                            <span class="upload-size">{human_size(upload.size)}</span>
                            {status}
                            <button type="button" class="strip-close" aria-label=label
                                on:click=move |_| uploads.remove(key)><Icon shape=IconShape::Close/></button>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="upload-tray" aria-label="Attachments">{items}</ul> }
        })
    }
}

/// A thumbnail's size on screen: the photo's proportions within
/// [`THUMBNAIL_EDGE`], so the bubble has its final size before it loads.
fn shown_size(attachment: &Attachment) -> (u32, u32) {
    let (width, height) = (
        attachment.width.unwrap_or(THUMBNAIL_EDGE).max(1),
        attachment.height.unwrap_or(THUMBNAIL_EDGE).max(1),
    );
    let long = width.max(height);
    if long <= THUMBNAIL_EDGE {
        return (width, height);
    }
    let scale =
        |side: u32| (u64::from(side) * u64::from(THUMBNAIL_EDGE) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

/// What a message carries: photos as thumbnails that open the viewer, other
/// files as a link that downloads them.
#[component]
pub fn MessageAttachments(
    attachments: Vec<Attachment>,
    on_open: Callback<AttachmentId>,
) -> impl IntoView {
    let items = attachments
        .into_iter()
        .map(|attachment| {
            if attachment.is_image() {
                let (width, height) = shown_size(&attachment);
                let id = attachment.id;
                let source = attachment
                    .thumbnail_url
                    .clone()
                    .unwrap_or_else(|| attachment.url.clone());
                view! {
                    <button type="button" class="photo" data-testid="photo"
                        aria-label=format!("Open photo {}", attachment.name)
                        on:click=move |_| on_open.run(id)>
                        <img src=source alt=attachment.name.clone() width=width height=height loading="lazy"/>
                    </button>
                }
                .into_any()
            } else {
                view! {
                    <a class="file" data-testid="file" href=attachment.url.clone() download=attachment.name.clone()>
                        <Icon shape=IconShape::Paperclip/>
                        <span class="file-name">{attachment.name.clone()}</span>
                        <span class="file-size">{human_size(attachment.size)}</span>
                    </a>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { <div class="attachments">{items}</div> }
}

/// The chat's photos, oldest first (not those of deleted messages).
pub fn photos_in(messages: &[Message]) -> Vec<Attachment> {
    messages
        .iter()
        .filter(|message| !message.is_deleted())
        .flat_map(|message| message.attachments.iter())
        .filter(|attachment| attachment.is_image())
        .cloned()
        .collect()
}

/// The viewer, a WebAssembly chunk of its own (see `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    photo_viewer,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_photo_viewer)
)]
pub fn photo_viewer(
    photos: Signal<Vec<Attachment>>,
    showing: RwSignal<Option<AttachmentId>>,
) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <PhotoViewer photos showing/> }.into_any()
    }))
}

/// One photo at full size; ← and → go through the chat's photos, Esc closes.
#[component]
pub fn PhotoViewer(
    photos: Signal<Vec<Attachment>>,
    showing: RwSignal<Option<AttachmentId>>,
) -> impl IntoView {
    let at = move || {
        let id = showing.get()?;
        photos.with(|photos| photos.iter().position(|photo| photo.id == id))
    };
    let step = move |by: isize| {
        let Some(index) = at() else { return };
        photos.with_untracked(|photos| {
            let next = index as isize + by;
            if let Some(photo) = usize::try_from(next).ok().and_then(|n| photos.get(n)) {
                showing.set(Some(photo.id));
            }
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowLeft" => {
            ev.prevent_default();
            step(-1);
        }
        "ArrowRight" => {
            ev.prevent_default();
            step(1);
        }
        _ => {}
    };
    let close = Callback::new(move |()| showing.set(None));
    view! {
        <Modal labelled_by="viewer-title" on_close=close>
            <div class="viewer" data-testid="viewer" on:keydown=on_keydown>
                {move || {
                    let index = at()?;
                    let (photo, count) = photos.with(|photos| (photos.get(index).cloned(), photos.len()));
                    let photo = photo?;
                    Some(view! {
                        <h2 id="viewer-title" class="viewer-title">
                            {photo.name.clone()}
                            <span class="hint">{format!(" · {} of {count}", index + 1)}</span>
                        </h2>
                        <img class="viewer-image" src=photo.url.clone() alt=photo.name.clone()
                            width=photo.width.unwrap_or_default() height=photo.height.unwrap_or_default()/>
                        <div class="viewer-actions">
                            <button type="button" aria-label="Previous photo" disabled={index == 0}
                                on:click=move |_| step(-1)>"←"</button>
                            <a href=photo.url.clone() download=photo.name.clone()>"Download"</a>
                            <button type="button" aria-label="Next photo" disabled={index + 1 >= count}
                                on:click=move |_| step(1)>"→"</button>
                            <button type="button" class="primary" on:click=move |_| close.run(())>"Close"</button>
                        </div>
                    })
                }}
            </div>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn photo(width: u32, height: u32) -> Attachment {
        let id = AttachmentId(Uuid::nil());
        Attachment {
            id,
            name: "p.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 1,
            width: Some(width),
            height: Some(height),
            url: Attachment::url_of(id),
            thumbnail_url: Some(Attachment::thumbnail_url_of(id)),
        }
    }

    #[test]
    fn thumbnails_take_their_final_size_before_they_load() {
        assert_eq!(shown_size(&photo(4000, 3000)), (320, 240));
        assert_eq!(shown_size(&photo(1080, 1920)), (180, 320));
        assert_eq!(shown_size(&photo(100, 50)), (100, 50));
    }
}
