//! Profile and group photos: the whole upload read (within the cap), found
//! to be a picture, made square in two sizes on a blocking thread (one of
//! the node's few decoding places), and stored under its owner's keys. The
//! version is a hash of the large size, so a new photo has a new URL.

use super::{Media, MediaError, images, read_head, sniff};
use crate::store::PhotoOf;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use object_store::{ObjectStoreExt, PutPayload, path::Path as Key};
use sha2::{Digest, Sha256};

impl Media {
    /// Receives a photo for `owner`; its version.
    pub async fn receive_photo<S, E>(&self, owner: PhotoOf, body: S) -> Result<String, MediaError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut body = body
            .map(|chunk| chunk.map_err(|e| MediaError::BrokenOff(e.to_string())))
            .fuse();
        let mut bytes = BytesMut::new();
        read_head(&mut body, &mut bytes, sniff::NEEDED).await?;
        let content_type = sniff::sniff(&bytes)
            .filter(|kind| app::media::is_image(kind))
            .ok_or(MediaError::Unsupported)?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(self.refuse(body, bytes.len() + chunk.len()).await);
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        let stopping = |_| MediaError::BrokenOff("the server is stopping".into());
        let _decoding = self.decoding.acquire().await.map_err(stopping)?;
        let done = tokio::task::spawn_blocking(move || images::portrait(&bytes, content_type))
            .await
            .map_err(|error| MediaError::BrokenOff(error.to_string()))??;
        let version = version_of(&done.large);
        let [large, small] = owner.keys(&version);
        self.objects
            .put(&Key::from(large.as_str()), PutPayload::from(done.large))
            .await?;
        self.objects
            .put(&Key::from(small.as_str()), PutPayload::from(done.small))
            .await?;
        Ok(version)
    }
}

/// The first 128 bits of the bytes' SHA-256, in hex.
fn version_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
