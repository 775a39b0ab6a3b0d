//! Whose activities: who may see (list, open, start) an activity. One rule for the catalog,
//! `next`, starting a session and class games, so they cannot disagree.
//!
//! Checked when a session starts, never per answer: an open session keeps the activity it
//! started with.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Who an activity is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Its author only.
    Private,
    /// Its author and the learners of its author's classes.
    Classes,
    /// Everyone (the starter content, and what an admin publishes).
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Classes => "classes",
            Self::Public => "public",
        }
    }

    /// Reads a stored value; anything unknown is the narrowest (never shown by mistake).
    pub fn parse(s: &str) -> Self {
        match s {
            "public" => Self::Public,
            "classes" => Self::Classes,
            _ => Self::Private,
        }
    }
}

/// What a viewer may see, worked out once per request (or per `start`).
#[derive(Debug, Clone, Default)]
pub struct Sight {
    /// An admin sees everything.
    pub admin: bool,
    /// The account looking, if signed in: its own activities are always visible to it.
    pub user_id: Option<String>,
    /// The teachers of the classes the viewing learner(s) belong to: their `classes`
    /// activities are visible.
    pub class_teachers: HashSet<String>,
}

impl Sight {
    /// Someone not signed in: public activities only.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// A learner who belongs to classes taught by `class_teachers`.
    pub fn learner(class_teachers: impl IntoIterator<Item = String>) -> Self {
        Self {
            class_teachers: class_teachers.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Whether an activity of `visibility` written by `author` is visible.
    pub fn sees(&self, visibility: Visibility, author: Option<&str>) -> bool {
        if self.admin || visibility == Visibility::Public {
            return true;
        }
        let Some(author) = author else { return false };
        if self.user_id.as_deref() == Some(author) {
            return true;
        }
        visibility == Visibility::Classes && self.class_teachers.contains(author)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_is_seen_by_everyone() {
        assert!(Sight::anonymous().sees(Visibility::Public, None));
        assert!(Sight::anonymous().sees(Visibility::Public, Some("t1")));
        assert!(Sight::learner([]).sees(Visibility::Public, Some("t1")));
    }

    #[test]
    fn classes_are_seen_by_the_authors_classes_only() {
        let pupil = Sight::learner(["t1".to_string()]);
        assert!(pupil.sees(Visibility::Classes, Some("t1")));
        assert!(!pupil.sees(Visibility::Classes, Some("t2")));
        assert!(!Sight::learner([]).sees(Visibility::Classes, Some("t1")));
        assert!(!Sight::anonymous().sees(Visibility::Classes, Some("t1")));
        // A class activity with no author (its author's account is gone) is nobody's class's.
        assert!(!pupil.sees(Visibility::Classes, None));
    }

    #[test]
    fn private_is_seen_by_its_author_and_admins_only() {
        let pupil = Sight::learner(["t1".to_string()]);
        assert!(!pupil.sees(Visibility::Private, Some("t1")));
        let author = Sight {
            user_id: Some("t1".into()),
            ..Sight::default()
        };
        assert!(author.sees(Visibility::Private, Some("t1")));
        assert!(author.sees(Visibility::Classes, Some("t1")));
        assert!(!author.sees(Visibility::Private, Some("t2")));
        assert!(!author.sees(Visibility::Classes, Some("t2")));
        let admin = Sight {
            admin: true,
            ..Sight::default()
        };
        assert!(admin.sees(Visibility::Private, Some("t2")));
        assert!(admin.sees(Visibility::Classes, None));
    }

    #[test]
    fn stored_values_read_back_and_unknown_ones_are_private() {
        for v in [Visibility::Private, Visibility::Classes, Visibility::Public] {
            assert_eq!(Visibility::parse(v.as_str()), v);
        }
        assert_eq!(Visibility::parse("everyone"), Visibility::Private);
    }
}
