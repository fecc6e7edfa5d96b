//! Timestamps on the wire: RFC 3339 text, as chrono writes a `DateTime<Utc>`
//! (`2026-11-28T06:48:06.123456Z`).
//!
//! Reading goes through this small parser rather than chrono's, whose
//! general-purpose format machinery (RFC 2822, `strftime` patterns) would
//! otherwise ship in the browser's WebAssembly for the one format Parley
//! ever sends. Writing stays chrono's. Use as
//! `#[serde(deserialize_with = "timestamp::deserialize")]` (or
//! `timestamp::optional` on an `Option`).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, de::Error};

/// Reads one RFC 3339 timestamp.
pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<DateTime<Utc>, D::Error> {
    read(&<std::borrow::Cow<'de, str>>::deserialize(from)?)
}

/// Reads an optional RFC 3339 timestamp (`null` or absent: `None`).
pub fn optional<'de, D: Deserializer<'de>>(from: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    <Option<std::borrow::Cow<'de, str>>>::deserialize(from)?
        .map(|text| read(&text))
        .transpose()
}

fn read<E: Error>(text: &str) -> Result<DateTime<Utc>, E> {
    parse(text).ok_or_else(|| E::custom("expected an RFC 3339 timestamp"))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the instant in UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = bytes.get(from..to)?;
        digits.iter().try_fold(0_u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, sign)| bytes.get(at) != Some(&sign))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);

    // The fraction: any number of digits, nanoseconds kept.
    let mut at = 19;
    let mut nanos = 0_u32;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(digit) = bytes.get(at).filter(|digit| digit.is_ascii_digit()) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(digit - b'0');
            }
            at += 1;
        }
        let kept = (at - start).min(9);
        if kept == 0 {
            return None;
        }
        nanos *= 10_u32.pow(9 - kept as u32);
    }

    let offset_minutes = match bytes.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let minutes = i64::from(number(at + 1, at + 3)? * 60 + number(at + 4, at + 6)?);
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let local = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)?;
    Some((local - TimeDelta::minutes(offset_minutes)).and_utc())
}

#[cfg(test)]
mod tests {
    use super::parse;
    use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

    #[test]
    fn reads_what_chrono_writes() {
        let instants = [
            Utc.with_ymd_and_hms(2026, 11, 28, 6, 48, 6).unwrap(),
            Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
                + chrono::TimeDelta::nanoseconds(123_456_789),
            Utc.with_ymd_and_hms(1999, 12, 31, 0, 0, 0).unwrap()
                + chrono::TimeDelta::microseconds(500),
        ];
        for at in instants {
            let written = serde_json::to_string(&at).unwrap();
            assert_eq!(parse(written.trim_matches('"')), Some(at), "{written}");
            for format in [
                SecondsFormat::Millis,
                SecondsFormat::AutoSi,
                SecondsFormat::Nanos,
            ] {
                let text = at.to_rfc3339_opts(format, false);
                let expected: DateTime<Utc> = text.parse().unwrap();
                assert_eq!(parse(&text), Some(expected), "{text}");
            }
        }
    }

    #[test]
    fn an_offset_names_the_same_instant() {
        assert_eq!(
            parse("2026-11-28T12:18:06.5+05:30"),
            parse("2026-11-28T06:48:06.500Z")
        );
        assert_eq!(
            parse("2026-11-27T20:48:06-10:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 28, 6, 48, 6).unwrap())
        );
    }

    #[test]
    fn serde_reads_present_null_absent_and_refuses_junk() {
        #[derive(serde::Deserialize, Debug)]
        struct At {
            #[serde(deserialize_with = "super::deserialize")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "super::optional")]
            until: Option<DateTime<Utc>>,
        }
        let noon = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let both: At =
            serde_json::from_str(r#"{"at":"2026-11-28T12:00:00Z","until":"2026-11-28T12:00:00Z"}"#)
                .unwrap();
        assert_eq!((both.at, both.until), (noon, Some(noon)));
        let null: At =
            serde_json::from_str(r#"{"at":"2026-11-28T12:00:00Z","until":null}"#).unwrap();
        assert_eq!(null.until, None);
        let absent: At = serde_json::from_str(r#"{"at":"2026-11-28T12:00:00Z"}"#).unwrap();
        assert_eq!(absent.until, None);
        assert!(serde_json::from_str::<At>(r#"{"at":"yesterday"}"#).is_err());
        assert!(
            serde_json::from_str::<At>(r#"{"at":"2026-11-28T12:00:00Z","until":"soon"}"#).is_err()
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for text in [
            "",
            "2026-11-28",
            "2026-11-28T06:48:06",
            "2026-11-28T06:48:06.Z",
            "2026-13-28T06:48:06Z",
            "2026-02-30T06:48:06Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T06:48:06+0530",
            "2026-11-28T06:48:06Zjunk",
            "２026-11-28T06:48:06Z",
            "Sat, 28 Nov 2026 06:48:06 +0000",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
