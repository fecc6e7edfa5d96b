//! Photos and files: uploaded over HTTP, sent on the socket, served only to
//! the chat's members; on local disk and on a real S3-compatible server.

use crate::{
    support::app::{TestApp, spawn_app, spawn_app_with},
    support::chats::{create_direct, send},
    support::process::{Process, signup},
    support::services::{Postgres, RedisServer, S3Server, files_under},
    support::socket_client::SocketClient,
};
use app::{
    media::Attachment,
    model::{AttachmentId, Chat, Message},
    protocol::{
        AuthReply, DeleteMessage, ErrorCode, ErrorReply, JoinRoom, NewMessage, SendMessage,
    },
};
use futures::StreamExt;
use image::{
    DynamicImage, ImageEncoder, RgbImage, codecs::jpeg::JpegEncoder, codecs::png::PngEncoder,
};
use reqwest::{StatusCode, header};
use std::net::SocketAddr;
use uuid::Uuid;

/// What only the camera knew: where the photo was taken.
pub(crate) const SECRET_PLACE: &[u8] = b"PARLEY-SECRET-PLACE-51.5N";

/// A 600 × 400 JPEG whose EXIF carries a GPS block (latitude ref and a
/// processing method holding [`SECRET_PLACE`]).
pub(crate) fn photo_with_gps() -> Vec<u8> {
    let mut jpeg = Vec::new();
    let picture = RgbImage::from_fn(600, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    DynamicImage::ImageRgb8(picture)
        .write_with_encoder(JpegEncoder::new(&mut jpeg))
        .unwrap();
    // TIFF, little-endian: IFD0 with one entry pointing at the GPS IFD.
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let gps_ifd = 8 + 2 + 12 + 4;
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0]);
    tiff.extend_from_slice(&(gps_ifd as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let method_at = gps_ifd + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x1B, 0x00, 7, 0]);
    tiff.extend_from_slice(&(SECRET_PLACE.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&(method_at as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(SECRET_PLACE);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1]);
    with_exif.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(&app1);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let picture = RgbImage::from_pixel(width, height, image::Rgb([30, 60, 90]));
    PngEncoder::new(&mut bytes)
        .write_image(&picture, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    bytes
}

/// A PDF-looking file of `size` bytes, each position's byte known.
pub(crate) fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((bytes.len()..size).map(|i| (i % 251) as u8));
    bytes
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

pub(crate) async fn upload_to(
    addr: SocketAddr,
    token: &str,
    chat: &Chat,
    name: &str,
    declared: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{addr}{}", app::media::upload_path(chat.id)))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, declared)
        .body(bytes)
        .send()
        .await
        .expect("request")
}

pub(crate) async fn uploaded(response: reqwest::Response) -> Attachment {
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("an attachment")
}

pub(crate) async fn error_of(response: reqwest::Response) -> ErrorCode {
    let reply: ErrorReply = response.json().await.expect("an error reply");
    reply.error.code
}

pub(crate) async fn get(addr: SocketAddr, token: &str, url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://{addr}{url}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

fn with_attachments(chat: &Chat, body: &str, ids: &[AttachmentId]) -> SendMessage {
    SendMessage {
        attachment_ids: ids.to_vec(),
        ..send(chat, &Uuid::now_v7().to_string(), body)
    }
}

/// Harley and Mike in a direct chat, both connected, Mike with it open.
struct Pair {
    addr: SocketAddr,
    harley: AuthReply,
    mike: AuthReply,
    harley_socket: SocketClient,
    mike_socket: SocketClient,
    chat: Chat,
}

async fn pair_on(
    harley_at: SocketAddr,
    mike_at: SocketAddr,
    harley: AuthReply,
    mike: AuthReply,
) -> Pair {
    let harley_socket = SocketClient::connect(harley_at, &harley.token).await;
    let mike_socket = SocketClient::connect(mike_at, &mike.token).await;
    let chat = create_direct(&harley_socket, &mike.user.username).await;
    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("mike opens the chat");
    Pair {
        addr: harley_at,
        harley,
        mike,
        harley_socket,
        mike_socket,
        chat,
    }
}

async fn pair(app: &TestApp) -> Pair {
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    pair_on(app.addr, app.addr, harley, mike).await
}

impl Pair {
    async fn harley_uploads(&self, name: &str, declared: &str, bytes: Vec<u8>) -> Attachment {
        uploaded(
            upload_to(
                self.addr,
                &self.harley.token,
                &self.chat,
                name,
                declared,
                bytes,
            )
            .await,
        )
        .await
    }

    /// Harley sends them; Mike receives the message live.
    async fn harley_sends(&self, body: &str, attachments: &[&Attachment]) -> (Message, Message) {
        let ids: Vec<AttachmentId> = attachments.iter().map(|a| a.id).collect();
        let sent = self
            .harley_socket
            .emit(&with_attachments(&self.chat, body, &ids))
            .await
            .expect("sent");
        let NewMessage(received) = self
            .mike_socket
            .next_where(|NewMessage(m): &NewMessage| m.id == sent.id)
            .await;
        (sent, received)
    }
}

/// Upload → send → Mike sees it live and downloads the same bytes; a photo
/// comes back re-encoded, without its GPS, with a thumbnail.
async fn the_story_of_a_photo_and_a_file(pair: &Pair, mike_at: SocketAddr) {
    let original = pdf(300_000);
    let file = pair
        .harley_uploads("minutes.pdf", "application/pdf", original.clone())
        .await;
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.size, 300_000);
    assert_eq!((file.width, file.thumbnail_url.as_ref()), (None, None));
    let photo_bytes = photo_with_gps();
    assert!(
        contains(&photo_bytes, SECRET_PLACE),
        "the test photo carries its GPS"
    );
    let photo = pair
        .harley_uploads("IMG_0001.jpg", "image/jpeg", photo_bytes)
        .await;
    assert_eq!((photo.width, photo.height), (Some(600), Some(400)));

    let (sent, received) = pair.harley_sends("", &[&file, &photo]).await;
    assert_eq!(sent.attachments, vec![file.clone(), photo.clone()]);
    assert_eq!(received.attachments, sent.attachments);
    assert_eq!(received.body, "");

    let served = get(mike_at, &pair.mike.token, &file.url).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(served.headers()[header::CONTENT_LENGTH], "300000");
    assert!(
        served.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(served.bytes().await.unwrap(), original);

    let served = get(mike_at, &pair.mike.token, &photo.url).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/jpeg");
    let bytes = served.bytes().await.unwrap();
    assert!(!contains(&bytes, SECRET_PLACE), "the GPS block is gone");
    assert!(!contains(&bytes, b"Exif\0\0"), "no EXIF at all");
    let picture = image::load_from_memory(&bytes).expect("a picture");
    assert_eq!((picture.width(), picture.height()), (600, 400));

    let thumbnail_url = photo.thumbnail_url.as_deref().expect("a thumbnail");
    let thumbnail = get(mike_at, &pair.mike.token, thumbnail_url).await;
    assert_eq!(thumbnail.status(), StatusCode::OK);
    let thumbnail = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (320, 213));
}

#[tokio::test]
async fn mike_gets_harleys_photo_and_file_from_local_storage() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    the_story_of_a_photo_and_a_file(&pair, app.addr).await;
    // Next to the SQLite file, as documented.
    assert!(!files_under(&app.db_dir.path().join("media")).is_empty());
}

#[tokio::test]
async fn mike_gets_harleys_photo_and_file_from_s3() {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        s3.configure(settings)
    })
    .await;
    let pair = pair(&app).await;
    the_story_of_a_photo_and_a_file(&pair, app.addr).await;
    assert!(files_under(&app.db_dir.path().join("media")).is_empty());
    assert!(
        s3.objects().len() >= 3,
        "original, photo and thumbnail are in the bucket"
    );
}

#[tokio::test]
async fn two_nodes_sharing_the_bucket_serve_each_others_uploads() {
    let (Some(s3), Some(postgres), Some(redis)) =
        (S3Server::start(), Postgres::start(), RedisServer::start())
    else {
        return;
    };
    let database_url = postgres.new_database().await;
    let node = || {
        let database_url = database_url.clone();
        let redis_url = redis.url();
        let s3 = &s3;
        async move {
            spawn_app_with(tempfile::tempdir().unwrap(), move |settings| {
                settings.database_url = database_url;
                settings.redis_url = Some(redis_url);
                s3.configure(settings);
            })
            .await
        }
    };
    let (a, b) = tokio::join!(node(), node());
    let harley = a.signup("harley", "harley password").await;
    let mike = b.signup("mike", "mike password").await;
    // Harley uploads to node A; Mike, on node B, downloads.
    let pair = pair_on(a.addr, b.addr, harley, mike).await;
    the_story_of_a_photo_and_a_file(&pair, b.addr).await;
}

#[tokio::test]
async fn only_the_chats_members_get_the_bytes() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let sara = app.signup("sara", "sara password").await;
    let file = pair
        .harley_uploads("plan.pdf", "application/pdf", pdf(1000))
        .await;

    // Before it is sent, it is Harley's alone.
    assert_eq!(
        get(app.addr, &pair.harley.token, &file.url).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(app.addr, &pair.mike.token, &file.url).await.status(),
        StatusCode::NOT_FOUND
    );
    pair.harley_sends("the plan", &[&file]).await;
    assert_eq!(
        get(app.addr, &pair.mike.token, &file.url).await.status(),
        StatusCode::OK
    );

    let refused = get(app.addr, &sara.token, &file.url).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(refused).await, ErrorCode::NotFound);
    let anonymous = reqwest::get(app.url(&file.url)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Nor can she upload into their chat.
    let upload = upload_to(
        app.addr,
        &sara.token,
        &pair.chat,
        "x.pdf",
        "application/pdf",
        pdf(100),
    )
    .await;
    assert_eq!(upload.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(upload).await, ErrorCode::NotMember);
}

#[tokio::test]
async fn someone_added_to_a_group_later_cannot_fetch_what_was_sent_before() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let sara = app.signup("sara", "sara password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let group = crate::support::chats::create_group(&harley_socket, "Crew", &["mike"]).await;
    let upload = |name: &'static str| {
        upload_to(
            app.addr,
            &harley.token,
            &group,
            name,
            "application/pdf",
            pdf(100),
        )
    };
    let before = uploaded(upload("before.pdf").await).await;
    harley_socket
        .emit(&with_attachments(&group, "", &[before.id]))
        .await
        .expect("sent");
    harley_socket
        .emit(&app::protocol::AddMembers {
            chat_id: group.id,
            members: vec!["sara".into()],
        })
        .await
        .expect("sara added");
    let after = uploaded(upload("after.pdf").await).await;
    harley_socket
        .emit(&with_attachments(&group, "", &[after.id]))
        .await
        .expect("sent");

    assert_eq!(
        get(app.addr, &mike.token, &before.url).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(app.addr, &sara.token, &before.url).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app.addr, &sara.token, &after.url).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_bytes_decide_the_type_not_the_name() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    // A PNG called notes.txt, declared as text: a picture all the same.
    let disguised = pair
        .harley_uploads("notes.txt", "text/plain", png(50, 40))
        .await;
    assert_eq!(disguised.content_type, "image/png");
    assert_eq!((disguised.width, disguised.height), (Some(50), Some(40)));
    pair.harley_sends("", &[&disguised]).await;
    let served = get(app.addr, &pair.mike.token, &disguised.url).await;
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/png");

    // A script called cat.png, declared as a PNG: refused.
    let script = b"<script>fetch('/api/me').then(r => r.text()).then(alert)</script>".to_vec();
    let refused = upload_to(
        app.addr,
        &pair.harley.token,
        &pair.chat,
        "cat.png",
        "image/png",
        script,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_of(refused).await, ErrorCode::UnsupportedType);
    // A PNG signature on garbage: not a picture either.
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(&[7; 500]);
    let refused = upload_to(
        app.addr,
        &pair.harley.token,
        &pair.chat,
        "fake.png",
        "image/png",
        fake,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A web page that starts as audio or video would (`ID3`, `ftyp` at byte
/// 4, an Ogg or WebM signature) is refused: media are what their container
/// parses as, and markup is never media. Real containers are taken.
#[tokio::test]
async fn a_web_page_dressed_as_audio_or_video_is_refused() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let page = b"<html><body><form action=https://evil.example>pay here</form></body></html>";
    let dressed: [(&str, Vec<u8>); 5] = [
        ("invoice.html", [b"\0\0\0 ftyp".as_slice(), page].concat()),
        (
            "invoice.mp4",
            [b"\0\0\0\x18ftypmp42\0\0\0\0isommp42".as_slice(), page].concat(),
        ),
        (
            "song.mp3",
            [b"ID3\x04\0\0\0\0\0\0".as_slice(), page].concat(),
        ),
        ("voice.ogg", [b"OggS\0\x02".as_slice(), page].concat()),
        ("clip.webm", [b"\x1A\x45\xDF\xA3".as_slice(), page].concat()),
    ];
    for (name, bytes) in dressed {
        let refused = upload_to(
            app.addr,
            &pair.harley.token,
            &pair.chat,
            name,
            "video/mp4",
            bytes,
        )
        .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}"
        );
        assert_eq!(
            error_of(refused).await,
            ErrorCode::UnsupportedType,
            "{name}"
        );
    }
    // An MP3 (two MPEG-1 layer III frames after an ID3 tag) and an MP4 (an
    // ftyp box, then a free and an mdat box) are taken as what they are.
    let mut frame = vec![0xFF, 0xFB, 0x90, 0x00];
    frame.resize(417, 0);
    let title = b"TIT2\0\0\0\x06\0\0\x03Song!";
    let mp3 = [b"ID3\x04\0\0\0\0\0\x10".as_slice(), title, &frame, &frame].concat();
    let song = pair.harley_uploads("song.mp3", "audio/mpeg", mp3).await;
    assert_eq!(song.content_type, "audio/mpeg");
    let mut mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0isommp42\0\0\0\x08free".to_vec();
    mp4.extend_from_slice(b"\0\0\0\x10mdat01234567");
    let clip = pair.harley_uploads("clip.mp4", "video/mp4", mp4).await;
    assert_eq!(clip.content_type, "video/mp4");
}

/// A GIF of `frames` one-pixel frames on a `side` × `side` canvas: a few
/// bytes that decode to the whole canvas per frame.
fn sparse_gif(side: u16, frames: usize) -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&side.to_le_bytes());
    gif.extend_from_slice(&side.to_le_bytes());
    gif.extend_from_slice(&[0, 0, 0]);
    for _ in 0..frames {
        // At (0, 0), 1 × 1, a two-colour local table, one LZW-coded pixel.
        gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x80]);
        gif.extend_from_slice(&[0, 0, 0, 0xFF, 0xFF, 0xFF]);
        gif.extend_from_slice(&[2, 2, 0x44, 0x01, 0]);
    }
    gif.push(0x3B);
    gif
}

/// 204 bytes that would decode to 50 million pixels (8 frames of a 2500 ×
/// 2500 canvas) are refused as too large; a small animation is taken.
#[tokio::test]
async fn an_animation_is_budgeted_by_all_its_frames() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let bomb = sparse_gif(2500, 8);
    assert!(bomb.len() < 300);
    let refused = upload_to(
        app.addr,
        &pair.harley.token,
        &pair.chat,
        "a.gif",
        "image/gif",
        bomb,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(refused).await, ErrorCode::TooLarge);
    let small = pair
        .harley_uploads("b.gif", "image/gif", sparse_gif(100, 10))
        .await;
    assert_eq!(
        (small.content_type.as_str(), small.width),
        ("image/gif", Some(100))
    );
}

/// Uploads that trickle hold only their sender's turns: with Harley's eight
/// photos stalled after their first bytes, Mike's photo is taken at once.
#[tokio::test]
async fn one_person_trickling_uploads_does_not_stall_anyone_elses() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let client = reqwest::Client::new();
    let stalled: Vec<_> = (0..8)
        .map(|_| {
            let first = png(64, 64)[..40].to_vec();
            let trickle = futures::stream::once(async move { Ok::<_, std::io::Error>(first) })
                .chain(futures::stream::pending());
            let request = client
                .post(format!(
                    "http://{}{}",
                    app.addr,
                    app::media::upload_path(pair.chat.id)
                ))
                .query(&[("name", "slow.png")])
                .bearer_auth(&pair.harley.token)
                .body(reqwest::Body::wrap_stream(trickle))
                .send();
            tokio::spawn(request)
        })
        .collect();
    // Three of Harley's are being read (her turns), the others wait theirs.
    app.metric_reaches("parley_uploads_receiving", 3).await;
    let mikes = upload_to(
        app.addr,
        &pair.mike.token,
        &pair.chat,
        "mine.png",
        "image/png",
        png(32, 32),
    )
    .await;
    assert_eq!(mikes.status(), StatusCode::CREATED);
    for upload in stalled {
        upload.abort();
    }
}

/// Uploads nobody sends cannot pile up: past the person's quota of unsent
/// bytes an upload is too large, until they send (or remove) some.
#[tokio::test]
async fn unsent_uploads_have_a_quota_per_person() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.unsent_upload_mb = 1;
    })
    .await;
    let pair = pair(&app).await;
    let first = pair
        .harley_uploads("a.pdf", "application/pdf", pdf(600_000))
        .await;
    let refused = upload_to(
        app.addr,
        &pair.harley.token,
        &pair.chat,
        "b.pdf",
        "application/pdf",
        pdf(600_000),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(refused).await, ErrorCode::TooLarge);
    // Mike's quota is his own.
    let mikes = upload_to(
        app.addr,
        &pair.mike.token,
        &pair.chat,
        "c.pdf",
        "application/pdf",
        pdf(600_000),
    )
    .await;
    assert_eq!(mikes.status(), StatusCode::CREATED);
    pair.harley_sends("here", &[&first]).await;
    pair.harley_uploads("b.pdf", "application/pdf", pdf(600_000))
        .await;
}

#[tokio::test]
async fn served_files_come_in_ranges_with_a_validator_and_run_nothing() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let bytes = pdf(10_000);
    let file = pair
        .harley_uploads("big.pdf", "application/pdf", bytes.clone())
        .await;
    pair.harley_sends("", &[&file]).await;
    let client = reqwest::Client::new();
    let request = |range: &str| {
        client
            .get(app.url(&file.url))
            .bearer_auth(&pair.mike.token)
            .header(header::RANGE, range)
    };

    let part = request("bytes=100-199").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 100-199/10000");
    assert_eq!(part.headers()[header::CONTENT_LENGTH], "100");
    assert_eq!(part.bytes().await.unwrap(), bytes[100..200]);
    let tail = request("bytes=-10").send().await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), bytes[9_990..]);
    let beyond = request("bytes=20000-").send().await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()[header::CONTENT_RANGE], "bytes */10000");

    let whole = get(app.addr, &pair.mike.token, &file.url).await;
    let headers = whole.headers().clone();
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    let etag = headers[header::ETAG].clone();
    let again = client
        .get(app.url(&file.url))
        .bearer_auth(&pair.mike.token)
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn an_attachment_is_sent_once_by_its_uploader_into_its_chat() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let sara = app.signup("sara", "sara password").await;
    let sara_socket = SocketClient::connect(app.addr, &sara.token).await;
    let other_chat = create_direct(&pair.harley_socket, "sara").await;
    let file = pair
        .harley_uploads("a.pdf", "application/pdf", pdf(500))
        .await;

    let refused =
        |reply: Result<Message, app::protocol::ApiError>| reply.expect_err("refused").code;
    // Not Mike's to send; not for the other chat.
    let mike_sends = pair
        .mike_socket
        .emit(&with_attachments(&pair.chat, "", &[file.id]))
        .await;
    assert_eq!(refused(mike_sends), ErrorCode::NotFound);
    let elsewhere = pair
        .harley_socket
        .emit(&with_attachments(&other_chat, "", &[file.id]))
        .await;
    assert_eq!(refused(elsewhere), ErrorCode::NotFound);
    // No text and nothing attached; too many; twice the same.
    let empty = pair
        .harley_socket
        .emit(&with_attachments(&pair.chat, " ", &[]))
        .await;
    assert_eq!(refused(empty), ErrorCode::InvalidBody);
    let twice = pair
        .harley_socket
        .emit(&with_attachments(&pair.chat, "", &[file.id, file.id]))
        .await;
    assert_eq!(refused(twice), ErrorCode::BadRequest);
    let eleven: Vec<AttachmentId> = (0..11).map(|_| AttachmentId(Uuid::now_v7())).collect();
    let many = pair
        .harley_socket
        .emit(&with_attachments(&pair.chat, "", &eleven))
        .await;
    assert_eq!(refused(many), ErrorCode::BadRequest);

    // Sent, and resent with the same client id: stored once.
    let message = with_attachments(&pair.chat, "here", &[file.id]);
    let first = pair.harley_socket.emit(&message).await.expect("sent");
    let resent = pair
        .harley_socket
        .emit(&message)
        .await
        .expect("the resend is answered");
    assert_eq!(resent.id, first.id);
    assert_eq!(resent.attachments, first.attachments);
    // But not in a second message.
    let again = pair
        .harley_socket
        .emit(&with_attachments(&pair.chat, "again", &[file.id]))
        .await;
    assert_eq!(refused(again), ErrorCode::NotFound);
    drop(sara_socket);
}

#[tokio::test]
async fn deleting_the_message_deletes_its_files() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let photo = pair
        .harley_uploads("p.png", "image/png", png(400, 300))
        .await;
    let (sent, _) = pair.harley_sends("look", &[&photo]).await;
    let media = app.db_dir.path().join("media");
    assert_eq!(files_under(&media).len(), 2, "the photo and its thumbnail");
    let deleted = pair
        .harley_socket
        .emit(&DeleteMessage {
            chat_id: pair.chat.id,
            message_id: sent.id,
        })
        .await
        .expect("deleted");
    assert!(deleted.attachments.is_empty());
    assert_eq!(
        get(app.addr, &pair.mike.token, &photo.url).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app.addr, &pair.harley.token, &photo.url).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(files_under(&media).is_empty(), "{:?}", files_under(&media));
}

#[tokio::test]
async fn uploads_never_sent_are_swept() {
    let app = spawn_app().await;
    let pair = pair(&app).await;
    let kept = pair
        .harley_uploads("kept.pdf", "application/pdf", pdf(100))
        .await;
    pair.harley_sends("", &[&kept]).await;
    let forgotten = pair
        .harley_uploads("forgotten.pdf", "application/pdf", pdf(100))
        .await;
    let media_dir = app.db_dir.path().join("media");
    assert_eq!(files_under(&media_dir).len(), 2);

    // The sweep the server runs hourly, for uploads older than now.
    let db = app.db_dir.path().join("parley.db");
    let store =
        parley_server::store::Store::connect(&format!("sqlite://{}?mode=rwc", db.display()))
            .await
            .unwrap();
    let location = parley_server::media::Location::Directory(media_dir.clone());
    let media = parley_server::media::Media::open(&location, 1_000_000).unwrap();
    parley_server::media::sweep_unsent(&store, &media, std::time::Duration::ZERO).await;

    assert_eq!(
        get(app.addr, &pair.harley.token, &forgotten.url)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app.addr, &pair.mike.token, &kept.url).await.status(),
        StatusCode::OK
    );
    assert_eq!(files_under(&media_dir).len(), 1);
}

#[tokio::test]
async fn uploads_past_the_allowance_wait() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.uploads_per_minute = 2;
    })
    .await;
    let pair = pair(&app).await;
    for _ in 0..2 {
        pair.harley_uploads("a.pdf", "application/pdf", pdf(100))
            .await;
    }
    let third = upload_to(
        app.addr,
        &pair.harley.token,
        &pair.chat,
        "a.pdf",
        "application/pdf",
        pdf(100),
    )
    .await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key(header::RETRY_AFTER));
    // Mike has his own allowance.
    let mikes = upload_to(
        app.addr,
        &pair.mike.token,
        &pair.chat,
        "b.pdf",
        "application/pdf",
        pdf(100),
    )
    .await;
    assert_eq!(mikes.status(), StatusCode::CREATED);
}

/// The process's memory figures from `/proc/PID/status`, in bytes.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .expect("the field");
    kib * 1024
}

#[tokio::test]
async fn a_30_mb_upload_is_refused_without_the_server_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(&dir.path().join("parley.db"));
    let harley = signup(server.addr, "harley").await;
    let _mike = signup(server.addr, "mike").await;
    let socket = SocketClient::connect(server.addr, &harley.token).await;
    let chat = create_direct(&socket, "mike").await;
    // Warm: one small upload through the same path first.
    uploaded(
        upload_to(
            server.addr,
            &harley.token,
            &chat,
            "warm.pdf",
            "application/pdf",
            pdf(1000),
        )
        .await,
    )
    .await;

    let pid = server.pid();
    // Forget the peak so far (signing up hashes passwords in 19 MiB).
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let before = memory(pid, "VmRSS:");
    // 30 MB as a stream of 64 KiB chunks, no Content-Length: the server
    // cannot know the size until it has read past the cap.
    let chunks = (0..480).map(|i| {
        let chunk = if i == 0 {
            pdf(64 * 1024)
        } else {
            vec![b'x'; 64 * 1024]
        };
        Ok::<_, std::io::Error>(chunk)
    });
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}{}",
            server.addr,
            app::media::upload_path(chat.id)
        ))
        .query(&[("name", "huge.pdf")])
        .bearer_auth(&harley.token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(response).await, ErrorCode::TooLarge);
    let peak = memory(pid, "VmHWM:");
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 30_000_000,
        "the server grew by {grown} bytes for a refused 30 MB upload"
    );
    // Nothing of it was kept.
    let media = dir.path().join("media");
    assert_eq!(files_under(&media).len(), 1, "{:?}", files_under(&media));
    drop(socket);
}
