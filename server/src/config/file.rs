//! Settings from flags, the environment and `parley.toml`, in that order.
//!
//! clap reads the flags and the environment. A setting neither gives is
//! taken from the file by handing clap the file's value as if it were a flag
//! placed first, and parsing again: one parser, one set of checks, for every
//! source. Which setting came from where is kept for `parley config`.

use super::{
    Settings,
    report::{self, Origin},
};
use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
use std::{
    collections::{BTreeMap, HashSet},
    ffi::OsString,
    path::{Path, PathBuf},
};

/// The file read when `--config` and `PARLEY_CONFIG` are not given, if it is there.
const DEFAULT_FILE: &str = "parley.toml";

/// Settings, and where each came from.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// The settings file read, if any.
    pub file: Option<PathBuf>,
    /// By flag name (`database-url`): where its value came from.
    pub origins: BTreeMap<String, Origin>,
    /// By flag name: the value as given (lists joined by `,`), when set.
    pub values: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A flag, or a value, clap refuses (it prints its own message).
    #[error(transparent)]
    Arguments(#[from] clap::Error),
    #[error("cannot read the settings file {path}: {error}", path = .0.display(), error = .1)]
    Unreadable(PathBuf, std::io::Error),
    #[error("{path} is not valid TOML: {error}", path = .0.display(), error = .1)]
    NotToml(PathBuf, Box<toml::de::Error>),
    #[error("{path}: `{1}` is no setting of parley (see `parley --help`)", path = .0.display())]
    Unknown(PathBuf, String),
    #[error("{path}: `{1}` must be a string, a number, true/false or a list of strings", path = .0.display())]
    Unusable(PathBuf, String),
}

/// The settings of this process (its arguments and environment).
pub fn load() -> Result<Loaded, ConfigError> {
    load_from(std::env::args_os())
}

/// The settings `args` (the program's name first) give, with the environment
/// and the settings file under them.
pub fn load_from<I, T>(args: I) -> Result<Loaded, ConfigError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let command = Settings::command();
    let given = command.clone().try_get_matches_from(&args)?;
    let file = given.get_one::<PathBuf>("config").cloned().or_else(|| {
        Path::new(DEFAULT_FILE)
            .is_file()
            .then(|| DEFAULT_FILE.into())
    });
    let mut from_file = HashSet::new();
    let mut layered = args.clone();
    let settings_args = report::settings();
    if let Some(path) = &file {
        let mut flags = Vec::new();
        for (name, value) in read(path)? {
            let arg = settings_args
                .iter()
                .find(|arg| arg.get_long() == Some(name.as_str()))
                .ok_or_else(|| ConfigError::Unknown(path.clone(), name.clone()))?;
            // A flag or the environment said it already: they win.
            if matches!(
                given.value_source(arg.get_id().as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            ) {
                continue;
            }
            let takes_value = arg.get_action().takes_values();
            match as_flag(&name, &value, takes_value) {
                Some(flag) => flags.push(flag),
                None if !takes_value && value.as_bool().is_some() => continue,
                None => return Err(ConfigError::Unusable(path.clone(), name)),
            }
            from_file.insert(arg.get_id().to_string());
        }
        layered.splice(1..1, flags);
    }
    let matches = command.try_get_matches_from(&layered)?;
    let settings = Settings::from_arg_matches(&matches)?;
    let mut origins = BTreeMap::new();
    let mut values = BTreeMap::new();
    for arg in &settings_args {
        let (Some(long), id) = (arg.get_long(), arg.get_id().as_str()) else {
            continue;
        };
        let origin = match matches.value_source(id) {
            _ if from_file.contains(id) => Origin::File,
            Some(ValueSource::CommandLine) => Origin::Flag,
            Some(ValueSource::EnvVariable) => Origin::Environment,
            Some(ValueSource::DefaultValue) => Origin::Default,
            _ => Origin::Unset,
        };
        origins.insert(long.to_owned(), origin);
        if let Some(raw) = matches.get_raw(id) {
            let given: Vec<String> = raw.map(|value| value.to_string_lossy().into()).collect();
            values.insert(long.to_owned(), given);
        }
    }
    Ok(Loaded {
        settings,
        file,
        origins,
        values,
    })
}

fn read(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| ConfigError::Unreadable(path.into(), error))?;
    text.parse::<toml::Table>()
        .map_err(|error| ConfigError::NotToml(path.into(), Box::new(error)))
}

/// `--name=value` for a file's `name = value`; `None` when the value does
/// not fit (a table), or for a switch set to `false` (its default).
fn as_flag(name: &str, value: &toml::Value, takes_value: bool) -> Option<OsString> {
    use toml::Value;
    let text = match value {
        Value::Boolean(true) if !takes_value => return Some(format!("--{name}").into()),
        Value::Boolean(false) if !takes_value => return None,
        Value::String(text) => text.clone(),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) => number.to_string(),
        Value::Boolean(yes) => yes.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?
            .join(","),
        _ => return None,
    };
    Some(format!("--{name}={text}").into())
}
