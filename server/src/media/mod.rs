//! Photos and files: where their bytes live (a local directory, or an
//! S3-compatible store that several nodes share, through `object_store`),
//! how an upload is received (sniffed and parsed, capped, streamed, each
//! person's at most three at a time; photos re-encoded),
//! and how the bytes are read back and deleted. What they belong to lives in
//! the database (`store::attachments`).

mod containers;
mod images;
mod photos;
mod sniff;
mod turns;

pub use images::ImageError;
pub use turns::Turn;

use crate::store::StoredAttachment;
use app::model::AttachmentId;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use object_store::{
    GetOptions, GetRange, GetResult, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path as Key,
};
use std::{path::PathBuf, sync::Arc};
use tokio::sync::Semaphore;

/// Where uploads are kept.
#[derive(Clone, Debug)]
pub enum Location {
    /// A directory on this machine (one node, or nodes sharing a disk).
    Directory(PathBuf),
    /// An S3-compatible bucket: `s3://bucket`, at `endpoint` when it is not AWS.
    S3 {
        url: String,
        endpoint: Option<String>,
        region: Option<String>,
        access_key: Option<String>,
        secret_key: Option<String>,
    },
}

/// How many photos are decoded and re-encoded at once (each with its pixels
/// besides its bytes). A photo takes its place only once its bytes are all
/// in, so a slow upload holds nobody's place but its own.
const IMAGES_DECODED: usize = 2;
/// How many uploads one person may send at once (on a node); more wait their
/// turn. Together with the upload cap this bounds what one person's photos
/// hold in memory.
const UPLOADS_AT_ONCE: usize = 3;
/// Parts of a streamed upload: what one upload holds in memory at most.
const PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct Media {
    objects: Arc<dyn ObjectStore>,
    /// The upload cap, in bytes.
    max_bytes: u64,
    decoding: Arc<Semaphore>,
    turns: Arc<turns::Turns>,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Media({}, max {} bytes)", self.objects, self.max_bytes)
    }
}

/// What an upload became.
#[derive(Clone, Debug)]
pub struct Received {
    pub content_type: &'static str,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
}

impl Received {
    /// Where its bytes are stored.
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.object_key.clone())
            .chain(self.thumbnail_key.clone())
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error("this kind of file is not accepted")]
    Unsupported,
    #[error(transparent)]
    Image(#[from] images::ImageError),
    #[error("the upload broke off: {0}")]
    BrokenOff(String),
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
}

impl Media {
    pub fn open(location: &Location, max_bytes: u64) -> anyhow::Result<Self> {
        let objects: Arc<dyn ObjectStore> = match location {
            Location::Directory(dir) => {
                std::fs::create_dir_all(dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true))
            }
            Location::S3 {
                url,
                endpoint,
                region,
                access_key,
                secret_key,
            } => {
                let mut builder = AmazonS3Builder::from_env().with_url(url);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_endpoint(endpoint);
                }
                if let Some(region) = region {
                    builder = builder.with_region(region);
                }
                if let Some(key) = access_key {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = secret_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Self {
            objects,
            max_bytes,
            decoding: Arc::new(Semaphore::new(IMAGES_DECODED)),
            turns: turns::Turns::new(UPLOADS_AT_ONCE),
        })
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Waits for one of `user`'s upload turns (see [`UPLOADS_AT_ONCE`]).
    pub async fn turn(&self, user: app::model::UserId) -> Turn {
        self.turns.take(user).await
    }

    /// Receives an upload's bytes: what it is comes from its first bytes; a
    /// photo is re-encoded and thumbnailed, anything else streamed to the
    /// store part by part. Past the cap it is `TooLarge`, after reading (and
    /// dropping) as much again, so the client hears the answer.
    pub async fn receive<S, E>(&self, id: AttachmentId, body: S) -> Result<Received, MediaError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut body = body
            .map(|chunk| chunk.map_err(|e| MediaError::BrokenOff(e.to_string())))
            .fuse();
        let mut head = BytesMut::new();
        let whole = read_head(&mut body, &mut head, sniff::NEEDED).await?;
        let content_type = sniff::sniff(&head).ok_or(MediaError::Unsupported)?;
        // Audio and video are what their container's header says, which may
        // take more than the signature (an ID3 tag, the box after `ftyp`).
        if !app::media::is_image(content_type) {
            let whole = whole || read_head(&mut body, &mut head, containers::PROBE).await?;
            if !containers::parses(content_type, &head, whole) {
                return Err(MediaError::Unsupported);
            }
        }
        if head.len() as u64 > self.max_bytes {
            return Err(self.refuse(body, head.len()).await);
        }
        let key = format!("attachments/{id}");
        if app::media::is_image(content_type) {
            self.receive_image(key, content_type, head, body).await
        } else {
            self.receive_file(key, content_type, head.freeze(), body)
                .await
        }
    }

    async fn receive_image<S>(
        &self,
        key: String,
        content_type: &'static str,
        mut bytes: BytesMut,
        mut body: S,
    ) -> Result<Received, MediaError>
    where
        S: Stream<Item = Result<Bytes, MediaError>> + Send + Unpin,
    {
        let stopping = |_| MediaError::BrokenOff("the server is stopping".into());
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(self.refuse(body, bytes.len() + chunk.len()).await);
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        let _decoding = self.decoding.acquire().await.map_err(stopping)?;
        let done = tokio::task::spawn_blocking(move || images::process(&bytes, content_type))
            .await
            .map_err(|error| MediaError::BrokenOff(error.to_string()))??;
        let extension = if done.thumbnail_type == "image/png" {
            "png"
        } else {
            "jpg"
        };
        let thumbnail_key = format!("{key}-thumbnail.{extension}");
        let size = done.image.len() as u64;
        self.objects
            .put(&Key::from(key.as_str()), PutPayload::from(done.image))
            .await?;
        self.objects
            .put(
                &Key::from(thumbnail_key.as_str()),
                PutPayload::from(done.thumbnail),
            )
            .await?;
        Ok(Received {
            content_type,
            size,
            width: Some(done.width),
            height: Some(done.height),
            object_key: key,
            thumbnail_key: Some(thumbnail_key),
        })
    }

    async fn receive_file<S>(
        &self,
        key: String,
        content_type: &'static str,
        head: Bytes,
        mut body: S,
    ) -> Result<Received, MediaError>
    where
        S: Stream<Item = Result<Bytes, MediaError>> + Send + Unpin,
    {
        let upload = self.objects.put_multipart(&Key::from(key.as_str())).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut size = head.len() as u64;
        writer.put(head);
        let outcome = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                if size > self.max_bytes {
                    return Err(self.refuse(&mut body, size as usize).await);
                }
                // One part in flight at a time: memory stays at about two parts.
                writer.wait_for_capacity(1).await?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                writer.finish().await?;
                Ok(Received {
                    content_type,
                    size,
                    width: None,
                    height: None,
                    object_key: key,
                    thumbnail_key: None,
                })
            }
            Err(error) => {
                let _ = writer.abort().await;
                Err(error)
            }
        }
    }

    /// Reads and drops the rest of a body that is too large, up to the cap
    /// again (so the client, still sending, reads the 413), and says so.
    async fn refuse<S>(&self, mut body: S, read: usize) -> MediaError
    where
        S: Stream<Item = Result<Bytes, MediaError>> + Unpin,
    {
        let mut read = read as u64;
        while read <= self.max_bytes.saturating_mul(2) {
            match body.next().await {
                Some(Ok(chunk)) => read += chunk.len() as u64,
                _ => break,
            }
        }
        MediaError::TooLarge(self.max_bytes)
    }

    /// The stored bytes under `key`, or the given range of them.
    pub async fn read(&self, key: &str, range: Option<GetRange>) -> Result<GetResult, MediaError> {
        let options = GetOptions {
            range,
            ..GetOptions::default()
        };
        Ok(self.objects.get_opts(&Key::from(key), options).await?)
    }

    /// Copies what is stored under `key` into `to`, under the same key; how
    /// many bytes (`parley migrate --media-to`).
    pub async fn copy_to(&self, to: &Media, key: &str) -> Result<u64, MediaError> {
        let key = Key::from(key);
        let bytes = self.objects.get(&key).await?.bytes().await?;
        let size = bytes.len() as u64;
        to.objects.put(&key, PutPayload::from(bytes)).await?;
        Ok(size)
    }

    /// Deletes what is stored under `keys`; a failure is logged.
    pub async fn delete(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            match self.objects.delete(&Key::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => tracing::warn!(%error, key, "cannot delete an upload"),
            }
        }
    }
}

/// Reads `body` into `head` until it holds at least `enough` bytes; true
/// when the body ended first (`head` is the whole file).
async fn read_head<S>(body: &mut S, head: &mut BytesMut, enough: usize) -> Result<bool, MediaError>
where
    S: Stream<Item = Result<Bytes, MediaError>> + Unpin,
{
    while head.len() < enough {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => return Ok(true),
        }
    }
    Ok(false)
}

/// Deletes uploads no message took within `age`: their rows, then their bytes.
pub async fn sweep_unsent(store: &crate::store::Store, media: &Media, age: std::time::Duration) {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or_default();
    match store.forget_unsent_before(cutoff).await {
        Ok(forgotten) => {
            let keys: Vec<String> = forgotten.iter().flat_map(StoredAttachment::keys).collect();
            media.delete(keys).await;
        }
        Err(error) => tracing::warn!(%error, "cannot forget unsent uploads"),
    }
}
