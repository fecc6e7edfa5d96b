//! The site inside the binary (release builds; see `build.rs`).
//!
//! Leptos reads two of its files from disk: the hash file (on every page) and
//! the split manifest (once). Those two are unpacked into a private temporary
//! directory at start-up, removed when the server ends; every file is served
//! from memory.

use super::{Files, PKG_DIR, Site, SiteError, hashed_names};
use std::{borrow::Cow, path::Path, sync::Arc};

#[cfg(embedded_site)]
#[derive(rust_embed::RustEmbed)]
#[folder = "$PARLEY_SITE_DIR"]
struct Assets;

#[cfg(embedded_site)]
pub const CARRIED: bool = true;
#[cfg(not(embedded_site))]
pub const CARRIED: bool = false;

/// The hash file cargo-leptos wrote for the embedded site (empty: plain names).
#[cfg(embedded_site)]
const HASHES: &str = include_str!(env!("PARLEY_SITE_HASHES"));
#[cfg(not(embedded_site))]
const HASHES: &str = "";

/// One embedded file.
pub struct File {
    pub data: Cow<'static, [u8]>,
    /// A hash of `data` (computed at build time).
    pub sha256: [u8; 32],
}

/// The embedded file `name` (`pkg/parley.<hash>.css`), if any.
pub fn file(name: &str) -> Option<File> {
    #[cfg(embedded_site)]
    return <Assets as rust_embed::RustEmbed>::get(name).map(|file| File {
        sha256: file.metadata.sha256_hash(),
        data: file.data,
    });
    #[cfg(not(embedded_site))]
    {
        let _ = name;
        None
    }
}

/// The embedded site, checked as a directory would be, with what Leptos
/// reads from disk unpacked.
pub fn site() -> Result<Site, SiteError> {
    let unpacked = tempfile::Builder::new()
        .prefix("parley-site-")
        .tempdir()
        .map_err(SiteError::Unpack)?;
    let hashes = match names(HASHES)? {
        Some(names) => {
            let hash_file = unpacked.path().join("hash.txt");
            std::fs::write(&hash_file, HASHES).map_err(SiteError::Unpack)?;
            for name in names.iter().filter(|name| name.ends_with(".json")) {
                unpack(unpacked.path(), name)?;
            }
            Some(hash_file)
        }
        None => None,
    };
    Ok(Site {
        root: unpacked.path().to_owned(),
        hashes,
        files: Files::Embedded {
            unpacked: Arc::new(unpacked),
        },
    })
}

/// The hashed names `hashes` gives, all of them embedded; `None` for a build
/// whose names carry no hash (no hash file, and a plain `parley.js`).
fn names(hashes: &str) -> Result<Option<Vec<String>>, SiteError> {
    let source = Path::new("hash.txt (embedded)");
    let plain = file(&format!("{PKG_DIR}/{}.js", super::OUTPUT_NAME)).is_some();
    if hashes.trim().is_empty() && plain {
        return Ok(None);
    }
    let names =
        hashed_names(hashes).map_err(|kind| SiteError::Incomplete(source.to_owned(), kind))?;
    if let Some(missing) = names
        .iter()
        .find(|name| file(&format!("{PKG_DIR}/{name}")).is_none())
    {
        return Err(SiteError::Missing {
            missing: Path::new(PKG_DIR).join(missing),
            root: "the embedded site".into(),
            hashes: source.to_owned(),
        });
    }
    Ok(Some(names))
}

fn unpack(dir: &Path, name: &str) -> Result<(), SiteError> {
    let bytes = file(&format!("{PKG_DIR}/{name}"))
        .map(|file| file.data)
        .unwrap_or_default();
    std::fs::create_dir_all(dir.join(PKG_DIR)).map_err(SiteError::Unpack)?;
    std::fs::write(dir.join(PKG_DIR).join(name), bytes).map_err(SiteError::Unpack)
}
