//! A release build of `parley` carries the site in itself (`site::embedded`):
//! cargo-leptos builds the site (hashed, precompressed) before it compiles the
//! server, and this script tells the compiler where that site is.
//!
//! Sets, when debug assertions are off and the built site is there:
//! - `cfg(embedded_site)`;
//! - `PARLEY_SITE_DIR`: the site's directory (`LEPTOS_SITE_ROOT`, by default
//!   `target/site`, from the workspace root), which `rust-embed` takes whole;
//! - `PARLEY_SITE_HASHES`: the `hash.txt` cargo-leptos wrote beside the
//!   binary, copied here (empty when the build's names carry no hash).
//!
//! Anything else (debug builds, a release without a built site) serves the
//! site from `--site-root`.

use std::{
    env,
    path::{Path, PathBuf},
};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_site)");
    println!("cargo::rerun-if-env-changed=LEPTOS_SITE_ROOT");
    println!("cargo::rerun-if-changed=build.rs");
    if env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some() {
        return;
    }
    let Some(workspace) = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|dir| dir.parent().map(Path::to_owned))
    else {
        return;
    };
    let site =
        workspace.join(env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()));
    // A directory: cargo looks at every file under it.
    println!("cargo::rerun-if-changed={}", site.display());
    if !site.join("pkg").is_dir() {
        println!(
            "cargo::warning=no built site at {}: this `parley` will need --site-root \
             (`cargo leptos build --release` builds the site first and embeds it)",
            site.display()
        );
        return;
    }
    // OUT_DIR is `<target>/<profile>/build/server-<hash>/out`; cargo-leptos
    // writes `hash.txt` into `<target>/<profile>`, beside the binary.
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let hashes = out.ancestors().nth(3).map(|dir| dir.join("hash.txt"));
    let text = match &hashes {
        Some(file) => {
            println!("cargo::rerun-if-changed={}", file.display());
            std::fs::read_to_string(file).unwrap_or_default()
        }
        None => String::new(),
    };
    let copied = out.join("hash.txt");
    if let Err(error) = std::fs::write(&copied, text) {
        println!("cargo::warning=cannot write {}: {error}", copied.display());
        return;
    }
    println!("cargo::rustc-cfg=embedded_site");
    println!("cargo::rustc-env=PARLEY_SITE_DIR={}", site.display());
    println!("cargo::rustc-env=PARLEY_SITE_HASHES={}", copied.display());
}
