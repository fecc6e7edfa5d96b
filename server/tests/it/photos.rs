//! Profile and group photos: what is stored (square, two sizes, no EXIF),
//! who may fetch one (people who share a chat by default; everyone or
//! nobody by choice; never someone the owner blocked), a new photo's new
//! URL and the old one gone, and a group's photo set by its admins only,
//! with its line, shown to invite-link holders on SQLite and PostgreSQL.

use crate::{
    attachments::{contains, error_of, get, photo_with_gps, png},
    on_both,
    support::{
        app::{TestApp, spawn_app},
        backends::{Backend, Running},
        chats::{create_direct, create_group},
        people::Person,
    },
};
use app::{
    media::{MY_PHOTO_PATH, PHOTO_SMALL_EDGE, group_photo_path, small_photo},
    model::{Chat, PhotoVisibility, SystemAction, User},
    protocol::{BlockUser, CreateInviteLink, ErrorCode, InviteInfo, PhotoSet, UpdateSettings},
};
use reqwest::{StatusCode, header};

on_both!(admins_set_a_group_photo);

async fn post_photo(app: &TestApp, who: &Person, path: &str, bytes: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(&who.auth.token)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("request")
}

async fn set_photo(app: &TestApp, who: &Person, path: &str, bytes: Vec<u8>) -> String {
    let response = post_photo(app, who, path, bytes).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set: PhotoSet = response.json().await.expect("a photo URL");
    set.photo_url
}

async fn delete(app: &TestApp, who: &Person, path: &str) -> StatusCode {
    reqwest::Client::new()
        .delete(app.url(path))
        .bearer_auth(&who.auth.token)
        .send()
        .await
        .expect("request")
        .status()
}

/// What `who` gets at `url`: the picture, or the status that refused it.
async fn fetch(app: &TestApp, who: &Person, url: &str) -> Result<image::DynamicImage, StatusCode> {
    let response = get(app.addr, &who.auth.token, url).await;
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    let bytes = response.bytes().await.expect("bytes");
    Ok(image::load_from_memory(&bytes).expect("a picture"))
}

/// `of`'s photo URL as `reader`'s chat list shows it in `chat`.
async fn seen_in_list(reader: &Person, chat: &Chat, of: &Person) -> Option<String> {
    let chats = reader.chats().await;
    let summary = chats.iter().find(|s| s.chat.id == chat.id).expect("listed");
    let member = summary.chat.member(of.id()).expect("a member");
    member.photo_url.clone()
}

async fn settle_photo_privacy(who: &Person, choice: PhotoVisibility) {
    who.socket
        .emit(&UpdateSettings {
            profile_photo: Some(choice),
            ..Default::default()
        })
        .await
        .expect("saved");
}

#[tokio::test]
async fn a_profile_photo_is_a_square_in_two_sizes_without_its_exif() {
    let app = spawn_app().await;
    let harley = Person::join(&app, "harley").await;
    let mike = Person::join(&app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;

    let url = set_photo(&app, &harley, MY_PHOTO_PATH, photo_with_gps()).await;
    // 600 × 400: the centred 400 × 400 square, not enlarged; and 96 × 96.
    let large = fetch(&app, &mike, &url).await.expect("Mike sees it");
    assert_eq!((large.width(), large.height()), (400, 400));
    let small = fetch(&app, &mike, &small_photo(&url)).await.unwrap();
    assert_eq!(
        (small.width(), small.height()),
        (PHOTO_SMALL_EDGE, PHOTO_SMALL_EDGE)
    );
    let raw = get(app.addr, &mike.auth.token, &url).await;
    assert_eq!(raw.headers()[header::CONTENT_TYPE], "image/jpeg");
    assert!(
        raw.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let bytes = raw.bytes().await.unwrap();
    assert!(!contains(&bytes, b"Exif\0\0"), "no EXIF");
    assert!(!contains(&bytes, crate::attachments::SECRET_PLACE));

    // Mike's list and Harley's own account carry it.
    assert_eq!(seen_in_list(&mike, &chat, &harley).await, Some(url.clone()));
    let summary = mike.chats().await.remove(0);
    assert_eq!(summary.photo_url, Some(url.clone()), "the list's picture");
    let me: User = app
        .http
        .get(app.url("/api/me"))
        .bearer_auth(&harley.auth.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.photo_url, Some(url.clone()));

    // A new photo: a new URL; the old one is gone.
    let newer = set_photo(&app, &harley, MY_PHOTO_PATH, png(700, 900)).await;
    assert_ne!(newer, url);
    assert_eq!(
        fetch(&app, &mike, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(&app, &mike, &newer).await.unwrap().width(), 512);

    // Taken away: initials again, and nothing served.
    assert_eq!(
        delete(&app, &harley, MY_PHOTO_PATH).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        fetch(&app, &mike, &newer).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(seen_in_list(&mike, &chat, &harley).await, None);

    // Not a picture: refused for what it is.
    let refused = post_photo(
        &app,
        &harley,
        MY_PHOTO_PATH,
        b"%PDF-1.7 not a face".to_vec(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_of(refused).await, ErrorCode::UnsupportedType);
}

#[tokio::test]
async fn who_may_see_a_profile_photo() {
    let app = spawn_app().await;
    let harley = Person::join(&app, "harley").await;
    let mike = Person::join(&app, "mike").await;
    let dan = Person::join(&app, "dan").await;
    let chat = create_direct(&harley.socket, "mike").await;
    let url = set_photo(&app, &harley, MY_PHOTO_PATH, png(300, 300)).await;

    // By default: people who share a chat with her.
    assert!(fetch(&app, &mike, &url).await.is_ok());
    assert_eq!(
        fetch(&app, &dan, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    let anonymous = reqwest::get(app.url(&url)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Everyone signed in.
    settle_photo_privacy(&harley, PhotoVisibility::Everyone).await;
    assert!(fetch(&app, &dan, &url).await.is_ok());

    // Never someone she blocked: not served, not in their list.
    harley
        .socket
        .emit(&BlockUser {
            user_id: mike.id(),
            blocked: true,
        })
        .await
        .unwrap();
    assert_eq!(
        fetch(&app, &mike, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(seen_in_list(&mike, &chat, &harley).await, None);
    harley
        .socket
        .emit(&BlockUser {
            user_id: mike.id(),
            blocked: false,
        })
        .await
        .unwrap();
    assert_eq!(seen_in_list(&mike, &chat, &harley).await, Some(url.clone()));

    // Nobody: only herself.
    settle_photo_privacy(&harley, PhotoVisibility::Nobody).await;
    assert_eq!(
        fetch(&app, &mike, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, &dan, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(seen_in_list(&mike, &chat, &harley).await, None);
    assert!(fetch(&app, &harley, &url).await.is_ok());
    assert_eq!(
        seen_in_list(&harley, &chat, &harley).await,
        Some(url),
        "her own face, always"
    );
}

async fn admins_set_a_group_photo(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    let path = group_photo_path(group.id);

    // Members who are not admins, and outsiders, may not.
    let by_mike = post_photo(app, &mike, &path, png(200, 200)).await;
    assert_eq!(by_mike.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(by_mike).await, ErrorCode::NotAdmin);
    let by_sara = post_photo(app, &sara, &path, png(200, 200)).await;
    assert_eq!(error_of(by_sara).await, ErrorCode::NotMember);

    let url = set_photo(app, &harley, &path, png(640, 480)).await;
    let line = mike.hears_line(group.id, SystemAction::Photo).await;
    let event = line.system.expect("a system line");
    assert_eq!(
        event.describe(Some(mike.id())),
        "harley changed the group photo"
    );
    let told = mike.hears_update(group.id).await;
    assert_eq!(told.chat.photo_url, Some(url.clone()));
    assert_eq!(told.photo_url, Some(url.clone()));
    assert_eq!(fetch(app, &mike, &url).await.unwrap().width(), 480);

    // Outsiders see it only through a working invite link.
    assert_eq!(
        fetch(app, &sara, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    let link = harley
        .socket
        .emit(&CreateInviteLink {
            chat_id: group.id,
            expires_in_hours: None,
            max_uses: None,
        })
        .await
        .unwrap();
    let preview = sara
        .socket
        .emit(&InviteInfo {
            token: link.token.clone(),
        })
        .await
        .unwrap();
    let shown = preview.photo_url.expect("the invite shows the photo");
    assert!(fetch(app, &sara, &shown).await.is_ok());
    assert!(fetch(app, &sara, &small_photo(&shown)).await.is_ok());

    // Taken away, with its line.
    assert_eq!(delete(app, &harley, &path).await, StatusCode::NO_CONTENT);
    let line = mike.hears_line(group.id, SystemAction::Photo).await;
    assert_eq!(
        line.system.unwrap().describe(None),
        "harley removed the group photo"
    );
    assert_eq!(
        fetch(app, &mike, &url).await.unwrap_err(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(delete(app, &mike, &path).await, StatusCode::FORBIDDEN);
}
