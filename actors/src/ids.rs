//! Ids as types, so a learner's id cannot be passed where a session's or a class's is
//! expected. Each is an `Arc<str>` (cloned into every event, batch row and registry key without
//! copying the text) that reads and writes as a plain JSON string and is checked as it is parsed:
//! nothing the database could refuse (empty, too long, a control character) gets past a parser.
//! An answer's [`Seq`] lives here too: one type from the wire to the database.

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

/// An answer's place in its session: 1, 2, 3, … up to [`Seq::MAX`], the largest the
/// database's `INTEGER` column holds. [`Seq::NONE`] (0) means no answer yet: a new session's
/// `last_saved_seq`, and the `up_to_seq` of its row alone.
///
/// A plain JSON number both ways. A client's seq becomes one in a single place,
/// [`Seq::from_wire`]; anything else it sends is refused as `bad_seq`. Any seq fits the
/// database's column ([`Seq::to_db`] cannot fail), and a column value is read back with
/// [`Seq::from_db`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Seq(i32); // Never negative.

impl Seq {
    /// No answer yet.
    pub const NONE: Seq = Seq(0);
    /// A session's first answer.
    pub const FIRST: Seq = Seq(1);
    /// The last seq a session can have: the database's `INTEGER` holds no more.
    pub const MAX: Seq = Seq(i32::MAX);

    /// A client's answer seq, as it sent it: 1 to [`Seq::MAX`], else `None` (0, negative, or
    /// past what the database holds), which the engine refuses as `bad_seq`.
    pub fn from_wire(sent: i64) -> Option<Seq> {
        i32::try_from(sent).ok().filter(|n| *n >= 1).map(Seq)
    }

    /// A seq (or [`Seq::NONE`]) as a database column holds it; `None` for a negative value.
    pub fn from_db(column: i32) -> Option<Seq> {
        (column >= 0).then_some(Seq(column))
    }

    /// As the database's `INTEGER` column holds it.
    pub fn to_db(self) -> i32 {
        self.0
    }

    /// The seq of the `count`-th answer (so the last one taken when `count` are): 0 is
    /// [`Seq::NONE`]; `None` past [`Seq::MAX`].
    pub fn from_count(count: usize) -> Option<Seq> {
        i32::try_from(count).ok().map(Seq)
    }

    /// The seq after this one; `None` after [`Seq::MAX`].
    pub fn next(self) -> Option<Seq> {
        self.0.checked_add(1).map(Seq)
    }

    /// Its place in a list of a session's answers (seq 1 is at 0); `None` for [`Seq::NONE`].
    pub fn index(self) -> Option<usize> {
        usize::try_from(self.0 - 1).ok()
    }
}

/// Small positions, as written in code (`Seq::from(3)`); 0 is [`Seq::NONE`].
impl From<u16> for Seq {
    fn from(n: u16) -> Self {
        Seq(i32::from(n))
    }
}

/// As an error frame echoes what a client sent (which may be no seq at all).
impl From<Seq> for i64 {
    fn from(seq: Seq) -> i64 {
        i64::from(seq.0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for Seq {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.0)
    }
}

impl<'de> Deserialize<'de> for Seq {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Seq::from_db(i32::deserialize(d)?).ok_or_else(|| {
            serde::de::Error::custom(format!("a seq is a whole number from 0 to {}", Seq::MAX))
        })
    }
}

/// In the API document: an integer, 0 to [`Seq::MAX`].
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Seq {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(0))
            .maximum(Some(Seq::MAX.0))
            .description(Some(
                "An answer's place in its session: 1, 2, 3, …; 0 where there is none yet.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Seq {}

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

    #[test]
    fn a_clients_seq_is_checked_once_and_fits_the_database() {
        let max = i64::from(i32::MAX);
        for bad in [
            0,
            -1,
            i64::from(i32::MIN),
            max + 1,
            i64::from(u32::MAX),
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(Seq::from_wire(bad), None, "{bad}");
        }
        assert_eq!(Seq::from_wire(1), Some(Seq::FIRST));
        assert_eq!(Seq::from_wire(max), Some(Seq::MAX));
        assert_eq!(Seq::MAX.to_db(), i32::MAX);
        assert_eq!(Seq::MAX.next(), None);
        for n in [1, 2, 7, max] {
            let seq = Seq::from_wire(n).unwrap();
            assert_eq!(i64::from(seq.to_db()), n);
            assert_eq!(Seq::from_db(seq.to_db()), Some(seq));
            assert_eq!(i64::from(seq), n);
        }
        assert_eq!(Seq::from_db(0), Some(Seq::NONE));
        assert_eq!(Seq::from_db(-1), None);
        assert_eq!((Seq::NONE.index(), Seq::FIRST.index()), (None, Some(0)));
        assert_eq!(Seq::from_count(3), Some(Seq::from(3)));
        assert_eq!(Seq::NONE.next(), Some(Seq::FIRST));
    }

    #[test]
    fn a_seq_reads_and_writes_as_a_plain_number() {
        assert_eq!(serde_json::to_string(&Seq::from(4)).unwrap(), "4");
        assert_eq!(serde_json::to_string(&Seq::NONE).unwrap(), "0");
        assert_eq!(serde_json::to_string(&Seq::MAX).unwrap(), "2147483647");
        assert_eq!(serde_json::from_str::<Seq>("7").unwrap(), Seq::from(7));
        for bad in ["-1", "2147483648", "1.5", "\"3\""] {
            assert!(serde_json::from_str::<Seq>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format!("{} {:?}", Seq::from(3), Some(Seq::from(3))),
            "3 Some(3)"
        );
    }
}
