//! Domain types: ids, users, and the values that are parsed once at the edge so
//! that an invalid one cannot exist further in.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Declares an opaque id: a UUID on the inside, a plain string on the wire.
macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

opaque_id!(
    /// Identifies a person's account.
    UserId
);

/// A person as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// Why a value from outside was refused. Each variant maps to one wire error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("username must be 3–32 characters of a–z, 0–9, '_', '.' or '-'")]
    Username,
    #[error("password must be at least 8 characters (and at most 1024)")]
    Password,
    #[error("display name must be 1–64 characters")]
    DisplayName,
}

/// A valid username: 3–32 of `[a-z0-9_.-]`, lower-cased on the way in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim().to_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
        let length_ok = (Self::MIN_LEN..=Self::MAX_LEN).contains(&name.len());
        if length_ok && name.chars().all(allowed) {
            Ok(Self(name))
        } else {
            Err(ValidationError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: at least 8 characters. The upper bound keeps hashing
/// cheap for the server. Its `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: String) -> Result<Self, ValidationError> {
        let chars = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(raw))
        } else {
            Err(ValidationError::Password)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The name shown for a person: trimmed, 1–64 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if (1..=Self::MAX_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
            Ok(Self(name.to_owned()))
        } else {
            Err(ValidationError::DisplayName)
        }
    }

    /// The display name a person gets when they did not choose one.
    pub fn from_username(username: &Username) -> Self {
        Self(username.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_trimmed() {
        assert_eq!(Username::parse("  Harley ").unwrap().as_str(), "harley");
        assert_eq!(Username::parse("mike.o-k_9").unwrap().as_str(), "mike.o-k_9");
    }

    #[test]
    fn usernames_outside_the_rules_are_refused() {
        for bad in ["ab", "", "has space", "émile", "semi;colon", &"x".repeat(33)] {
            assert_eq!(Username::parse(bad), Err(ValidationError::Username), "{bad:?}");
        }
        assert!(Username::parse(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        // characters, not bytes
        assert!(Password::parse("ééééééé".into()).is_err());
        assert!(Password::parse("x".repeat(1025)).is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::parse("hunter2hunter2".into()).unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Mike ").unwrap().as_str(), "Mike");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"m".repeat(65)).is_err());
        assert!(DisplayName::parse("bell\u{7}").is_err());
    }

    #[test]
    fn ids_are_plain_strings_on_the_wire() {
        let id = UserId(Uuid::nil());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"00000000-0000-0000-0000-000000000000\""
        );
    }
}
