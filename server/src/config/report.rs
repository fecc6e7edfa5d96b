//! What `parley config` prints, and README's table of settings, both from
//! the one definition of every setting ([`Settings`]).

use super::{Loaded, Settings};
use clap::{Arg, CommandFactory};
use std::fmt::Write;

/// Where a setting's value came from, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    File,
    Default,
    Unset,
}

impl Loaded {
    /// The settings as a settings file, each line saying where its value
    /// came from; secrets (passwords in URLs, the S3 secret) masked.
    pub fn report(&self) -> String {
        let mut out =
            String::from("# The settings `parley` runs with here, and where each comes from.\n");
        let _ = match &self.file {
            Some(file) => writeln!(out, "# Settings file: {}", file.display()),
            None => writeln!(
                out,
                "# Settings file: none (--config, PARLEY_CONFIG or ./parley.toml)"
            ),
        };
        for arg in settings() {
            let Some(name) = arg.get_long() else { continue };
            let origin = self.origins.get(name).copied().unwrap_or(Origin::Unset);
            let whence = match origin {
                Origin::Flag => format!("flag --{name}"),
                Origin::Environment => format!(
                    "environment {}",
                    arg.get_env()
                        .map(|env| env.to_string_lossy())
                        .unwrap_or_default()
                ),
                Origin::File => "settings file".into(),
                Origin::Default => "default".into(),
                Origin::Unset => "unset".into(),
            };
            let _ = match self.values.get(name) {
                Some(values) => {
                    let secret = arg.is_hide_env_values_set();
                    let value = toml_value(values, secret);
                    writeln!(out, "{name} = {value}  # {whence}")
                }
                None => writeln!(out, "# {name}  (unset)"),
            };
        }
        out
    }
}

/// Every setting as a Markdown table: the name (as a flag and in the
/// settings file), the environment variable, the default and what it sets.
/// README carries it between `<!-- settings -->` and `<!-- /settings -->`;
/// a test keeps the two the same.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Setting (`--flag`, and the key in `parley.toml`) | Environment | Default | What it sets |\n\
         |---|---|---|---|\n",
    );
    for arg in settings() {
        let Some(name) = arg.get_long() else { continue };
        let env = arg
            .get_env()
            .map(|env| format!("`{}`", env.to_string_lossy()))
            .unwrap_or_default();
        let default: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy().into_owned())
            .collect();
        let default = match default.as_slice() {
            [] => String::new(),
            values => format!("`{}`", values.join(",")),
        };
        let help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|help| help.to_string())
            .unwrap_or_default();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            out,
            "| `{name}` | {env} | {default} | {} |",
            help.replace('|', "\\|")
        );
    }
    out
}

/// The settings, in the order they are declared (without `--help`,
/// `--version` and `--config`, which no file holds): what a settings file
/// may name, what `parley config` reports and README's table lists.
pub(super) fn settings() -> Vec<Arg> {
    Settings::command()
        .get_arguments()
        .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version" | "config"))
        .filter(|arg| arg.get_long().is_some())
        .cloned()
        .collect()
}

/// `values` as TOML: a number or `true`/`false` bare, text quoted, several
/// as a list.
fn toml_value(values: &[String], secret: bool) -> String {
    let one = |value: &str| {
        if secret {
            return "\"********\"".to_owned();
        }
        let bare = value.parse::<f64>().is_ok() || matches!(value, "true" | "false");
        if bare {
            value.to_owned()
        } else {
            toml::Value::String(masked(value)).to_string()
        }
    };
    match values {
        [value] => one(value),
        values => format!(
            "[{}]",
            values
                .iter()
                .map(|value| one(value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A URL's password replaced by `********` (`postgres://parley:********@db/parley`).
fn masked(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return value.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********@{host}"),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            masked("postgres://parley:s3cret@db:5432/parley"),
            "postgres://parley:********@db:5432/parley"
        );
        assert_eq!(masked("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            masked("sqlite://parley.db?mode=rwc"),
            "sqlite://parley.db?mode=rwc"
        );
    }

    /// README's table is this code's: a setting added, renamed or
    /// re-documented without README changing fails here.
    #[test]
    fn readme_lists_every_setting_as_the_code_defines_it() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md");
        let table = readme
            .split_once("<!-- settings -->\n")
            .and_then(|(_, rest)| rest.split_once("<!-- /settings -->"))
            .map(|(table, _)| table)
            .expect("README has <!-- settings --> … <!-- /settings -->");
        assert_eq!(
            table.trim(),
            markdown_table().trim(),
            "README's settings table differs from the code: paste `parley config --table` into it"
        );
    }
}
