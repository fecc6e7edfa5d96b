//! The built site the pages name: the WebAssembly, its JavaScript, its chunks'
//! manifest and the stylesheet under `pkg/`, and what they are called.
//!
//! # Where the files come from
//!
//! A release build (README command 1) carries the whole site in the `parley`
//! binary ([`embedded`]): cargo-leptos builds the site (hashed, brotli'd and
//! gzipped) before it compiles the server, whose build script hands it to
//! `rust-embed`. So `parley` alone, copied anywhere, serves its pages.
//! `--site-root` serves a directory instead (development, debug builds).
//!
//! # How they are named
//!
//! A release build names each file by a hash of its content and writes the
//! hashes to `hash.txt`. That file is the one source of every name a page
//! gives: Leptos' `HydrationScripts` and `HashedStylesheet` read it (through
//! [`LeptosOptions::hash_file`]), and [`Site::choose`] checks, before the
//! server listens, that every file it names is there. A server whose pages
//! would name a file it does not have refuses to start and says why.
//!
//! Embedded, the binary carries its own `hash.txt`. From a directory: whether
//! names are hashed is `--hash-files` / `LEPTOS_HASH_FILES` when given
//! (cargo-leptos always gives it), otherwise whether the hash file
//! (`--hash-file`, by default `hash.txt` beside the binary) is there.
//!
//! [`serve`] answers every request no route took: a file of the site (the
//! precompressed variant the browser accepts), else the app's 404 page.

mod embedded;
mod serve;
pub mod worker;

pub use serve::serve;

use leptos::prelude::LeptosOptions;
use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
};

/// `output-name` in the workspace's `Cargo.toml`.
pub const OUTPUT_NAME: &str = "parley";
/// `site-pkg-dir` in the workspace's `Cargo.toml`.
pub const PKG_DIR: &str = "pkg";
/// Whether this binary carries its site (a release build made by cargo-leptos).
pub const EMBEDDED: bool = embedded::CARRIED;

/// Where the pages' files are and how they are named.
#[derive(Clone, Debug)]
pub struct Site {
    /// What Leptos reads the split manifest from (for an embedded site, the
    /// few files it reads unpacked into a private directory).
    pub root: PathBuf,
    /// The hash file the names come from, when they carry hashes.
    pub hashes: Option<PathBuf>,
    /// Where the files are served from.
    pub files: Files,
}

/// Where the site's files are served from.
#[derive(Clone, Debug)]
pub enum Files {
    /// A directory on disk (`--site-root`; development and debug builds).
    Directory(PathBuf),
    /// Inside this binary; `unpacked` holds what Leptos reads from disk
    /// (the hash file, the split manifest) for as long as the server runs.
    Embedded { unpacked: Arc<tempfile::TempDir> },
}

/// Why the site cannot be served as it is.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "asset names are to carry hashes (--hash-files), but there is no {} (a release \
         build writes it beside the binary: ship the two together)",
        .0.display()
    )]
    NoHashFile(PathBuf),
    #[error("cannot read {path}: {1}", path = .0.display())]
    Unreadable(PathBuf, std::io::Error),
    #[error("{path} names no `{1}` file", path = .0.display())]
    Incomplete(PathBuf, &'static str),
    #[error(
        "the pages would name {missing}, which is not in {root} (hashes from {hashes}): \
         the site and the binary come from different builds; build them together \
         (README command 1) or point --site-root at the site built with this binary",
        missing = .missing.display(),
        root = .root.display(),
        hashes = .hashes.display()
    )]
    Missing {
        missing: PathBuf,
        root: PathBuf,
        hashes: PathBuf,
    },
    #[error("cannot unpack the embedded site's hash file and manifest: {0}")]
    Unpack(std::io::Error),
}

impl Site {
    /// The site this server serves: the directory `root` when one is given,
    /// otherwise the one this binary carries, otherwise `target/site` (a
    /// debug build run from the workspace).
    pub fn choose(
        root: Option<&Path>,
        hash_files: Option<bool>,
        hash_file: &Path,
    ) -> Result<Self, SiteError> {
        match root {
            Some(root) => Self::locate(root, hash_files, hash_file),
            None if EMBEDDED => embedded::site(),
            None => Self::locate(Path::new("target/site"), hash_files, hash_file),
        }
    }

    /// The site at `root`, its names hashed when `hash_files` says so or (not
    /// given) when `hash_file` is there; checked whole.
    pub fn locate(
        root: &Path,
        hash_files: Option<bool>,
        hash_file: &Path,
    ) -> Result<Self, SiteError> {
        let hash_file = hash_file.to_owned();
        let hashed = hash_files.unwrap_or_else(|| hash_file.is_file());
        let directory = |hashes| Self {
            root: root.to_owned(),
            hashes,
            files: Files::Directory(root.to_owned()),
        };
        if !hashed {
            return Ok(directory(None));
        }
        let text = std::fs::read_to_string(&hash_file).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                SiteError::NoHashFile(hash_file.clone())
            } else {
                SiteError::Unreadable(hash_file.clone(), error)
            }
        })?;
        let names =
            hashed_names(&text).map_err(|kind| SiteError::Incomplete(hash_file.clone(), kind))?;
        for name in names {
            let path = root.join(PKG_DIR).join(&name);
            if !path.is_file() {
                return Err(SiteError::Missing {
                    missing: Path::new(PKG_DIR).join(name),
                    root: root.to_owned(),
                    hashes: hash_file,
                });
            }
        }
        Ok(directory(Some(hash_file)))
    }

    /// Leptos' options for this site: the pages name what [`Site::choose`] checked.
    pub fn leptos_options(&self, addr: std::net::SocketAddr) -> LeptosOptions {
        // Leptos joins it to the binary's directory: an absolute path stands.
        let hash_file: Arc<str> = match &self.hashes {
            Some(path) => path.to_string_lossy().into(),
            None => "hash.txt".into(),
        };
        LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(self.root.to_string_lossy().into_owned())
            .site_pkg_dir(PKG_DIR)
            .hash_files(self.hashes.is_some())
            .hash_file(hash_file)
            .site_addr(addr)
            .build()
    }
}

/// The directory of the running binary, where a release build's `hash.txt` is
/// (and from which a relative `--hash-file` is taken).
pub fn binary_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_owned))
        .unwrap_or_default()
}

/// The files under `pkg/` whose names `hash.txt` gives, as Leptos names them
/// from it: `kind: hash` lines; the JavaScript, the WebAssembly and the
/// stylesheet always, the chunks' loader and manifest in a split build.
/// Err: the kind a complete file must have and this one lacks.
pub(crate) fn hashed_names(text: &str) -> Result<Vec<String>, &'static str> {
    let hash_of = |kind: &str| {
        text.lines().find_map(|line| {
            let (name, hash) = line.split_once(':')?;
            (name.trim() == kind).then(|| hash.trim().to_owned())
        })
    };
    let mut names = Vec::new();
    for kind in ["js", "wasm", "css"] {
        let hash = hash_of(kind).ok_or(kind)?;
        names.push(format!("{OUTPUT_NAME}.{hash}.{kind}"));
    }
    if let Some(hash) = hash_of("manifest") {
        names.push(format!("__wasm_split_manifest.{hash}.json"));
    }
    if let Some(hash) = hash_of("split") {
        names.push(format!("__wasm_split.{hash}.js"));
    }
    Ok(names)
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Files::Embedded { .. } = self.files {
            let named = if self.hashes.is_some() {
                "hashed"
            } else {
                "not hashed"
            };
            return write!(f, "embedded in this binary (names {named})");
        }
        match &self.hashes {
            Some(hashes) => write!(
                f,
                "{} (names hashed, from {})",
                self.root.display(),
                hashes.display()
            ),
            None => write!(f, "{} (names not hashed)", self.root.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHES: &str =
        "js: AbCd1234\nwasm: EfGh5678\ncss: IjKl9012\nmanifest: Mn34\nsplit: Op56\n";

    /// A site directory and a binary directory, with these files in `pkg/`.
    /// Returns the directory, the site root and where its hash file is (or would be).
    fn site_with(files: &[&str], hashes: Option<&str>) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("site");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(root.join(PKG_DIR)).expect("pkg dir");
        std::fs::create_dir_all(&bin).expect("bin dir");
        for file in files {
            std::fs::write(root.join(PKG_DIR).join(file), b"x").expect("asset");
        }
        if let Some(hashes) = hashes {
            std::fs::write(bin.join("hash.txt"), hashes).expect("hash file");
        }
        (dir, root, bin.join("hash.txt"))
    }

    const RELEASE: &[&str] = &[
        "parley.AbCd1234.js",
        "parley.EfGh5678.wasm",
        "parley.IjKl9012.css",
        "__wasm_split_manifest.Mn34.json",
        "__wasm_split.Op56.js",
    ];

    #[test]
    fn a_release_build_beside_its_hash_file_is_named_by_it() {
        let (_dir, root, hash_file) = site_with(RELEASE, Some(HASHES));
        let site = Site::locate(&root, None, &hash_file).expect("complete");
        assert_eq!(site.hashes, Some(hash_file.clone()));
        let options = site.leptos_options("127.0.0.1:3000".parse().expect("addr"));
        assert!(options.hash_files);
        // Absolute, so Leptos finds it whatever the binary's directory.
        assert_eq!(&*options.hash_file, &*hash_file.to_string_lossy());
    }

    #[test]
    fn every_file_the_hashes_name_must_be_there() {
        for missing in RELEASE {
            let files: Vec<&str> = RELEASE.iter().copied().filter(|f| f != missing).collect();
            let (_dir, root, hash_file) = site_with(&files, Some(HASHES));
            match Site::locate(&root, None, &hash_file) {
                Err(SiteError::Missing { missing: named, .. }) => {
                    assert_eq!(named, Path::new(PKG_DIR).join(missing));
                }
                other => panic!("{missing} missing, yet {other:?}"),
            }
        }
    }

    #[test]
    fn an_unhashed_build_is_named_plainly_and_asked_for_hashes_says_what_is_missing() {
        let (_dir, root, hash_file) = site_with(&["parley.css"], None);
        let site = Site::locate(&root, None, &hash_file).expect("no hash file: plain names");
        assert_eq!(site.hashes, None);
        assert!(
            !site
                .leptos_options("127.0.0.1:0".parse().expect("addr"))
                .hash_files
        );
        assert!(matches!(
            Site::locate(&root, Some(true), &hash_file),
            Err(SiteError::NoHashFile(_))
        ));
    }

    #[test]
    fn hashes_can_be_turned_off_beside_a_hash_file() {
        // cargo-leptos says LEPTOS_HASH_FILES=false for a build that did not hash,
        // whatever an older build left beside the binary.
        let (_dir, root, hash_file) = site_with(&[], Some(HASHES));
        assert_eq!(
            Site::locate(&root, Some(false), &hash_file)
                .expect("plain")
                .hashes,
            None
        );
    }

    #[test]
    fn a_hash_file_without_the_stylesheet_is_incomplete() {
        let (_dir, root, hash_file) = site_with(RELEASE, Some("js: a\nwasm: b\n"));
        assert!(matches!(
            Site::locate(&root, None, &hash_file),
            Err(SiteError::Incomplete(_, "css"))
        ));
    }
}
