//! Ids as types, so a learner's id cannot be passed where a session's or a class's is
//! expected. Each is an `Arc<str>` (cloned into every event, batch row and registry key without
//! copying the text) that reads and writes as a plain JSON string and is checked as it is parsed:
//! nothing the database could refuse (empty, too long, a control character) gets past a parser.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest id a client may send (UUIDs are 36, activity slugs at most 100).
pub const MAX_ID_LEN: usize = 100;

/// Whether `s` can be an id: 1 to [`MAX_ID_LEN`] bytes, no control characters (NUL included,
/// which PostgreSQL cannot store in text).
pub fn is_plausible_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && !s.chars().any(char::is_control)
}

/// The error a parser gives for an implausible id.
pub(crate) fn implausible<E: serde::de::Error>() -> E {
    E::custom(format!(
        "an id is 1 to {MAX_ID_LEN} characters with no control characters"
    ))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A new random id (UUID v7: time-ordered, so index-friendly).
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string().into())
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s.into())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.into())
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.as_str().into())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                *self.0 == **other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if is_plausible_id(&s) {
                    Ok(Self(s.into()))
                } else {
                    Err(implausible())
                }
            }
        }
    };
}

id_type!(
    /// A learner: a parent's child or a student's own profile.
    LearnerId
);
id_type!(
    /// One play session of one activity.
    SessionId
);
id_type!(
    /// A teacher's class.
    ClassId
);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_a_plain_string() {
        let id: LearnerId = serde_json::from_str(r#""kid-1""#).unwrap();
        assert_eq!(id, "kid-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""kid-1""#);
        assert_eq!(format!("{id} {id:?}"), r#"kid-1 "kid-1""#);
    }

    #[test]
    fn a_parser_refuses_what_the_database_could_not_hold() {
        let long = format!(r#""{}""#, "a".repeat(MAX_ID_LEN + 1));
        for bad in [r#""""#, r#""a\u0000b""#, r#""a\nb""#, long.as_str(), "7"] {
            assert!(serde_json::from_str::<SessionId>(bad).is_err(), "{bad}");
        }
        let longest = format!(r#""{}""#, "a".repeat(MAX_ID_LEN));
        assert!(serde_json::from_str::<SessionId>(&longest).is_ok());
    }

    #[test]
    fn a_map_keyed_by_ids_is_found_by_text() {
        let mut m = HashMap::new();
        m.insert(ClassId::from("c1"), 1);
        assert_eq!(m.get("c1"), Some(&1));
        assert_eq!(ClassId::generate().len(), 36);
    }
}
