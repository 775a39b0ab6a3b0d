//! Pupils without an email (young children in a school): their class's teacher makes them, one
//! by one or from a CSV, and they sign in with the class code, their name and two pictures, or
//! with a printed card. A pupil's account is an ordinary student's in every other respect.
//!
//! The `users` row keeps its shape: `email` holds a marker, `pupil:<user id>` (never an
//! address: it has no `@`, and registration only takes addresses, so it cannot be taken), or
//! the email the teacher's CSV gave; `password_hash` holds [`NO_PASSWORD`], which no password
//! matches, so email sign-in, a password change and `DELETE /v1/me` never succeed for a pupil
//! (their teacher erases them instead). Every query on `users` works as it did.

pub mod card;
pub mod csv;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use self::card::CardKey;
use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::{Role, users};
use crate::features::classes::{self, Class};
use crate::features::learners;
use crate::infra::db::DbConnection;
use crate::infra::db::models::UserRow;
use crate::infra::db::schema::{learners as learner_rows, pupils};
use crate::infra::error::AppError;
use crate::infra::time::now;

/// The pictures a pupil's two are drawn from (the icons under `assets/web/icons/`).
pub const PICTURES: [&str; 16] = [
    "apple", "ball", "balloon", "bird", "car", "cat", "cookie", "dog", "duck", "fish", "flower",
    "heart", "leaf", "star", "sun", "tree",
];

/// A password hash no password matches (not a bcrypt hash: verifying against it is a mismatch).
pub const NO_PASSWORD: &str = "!pupil-without-password";

/// The longest name a pupil may have.
pub const NAME_MAX: usize = 100;

/// A pupil as the teacher sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PupilView {
    pub learner_id: String,
    pub user_id: String,
    pub name: String,
    /// The two pictures, in the order they are picked.
    pub picture: [String; 2],
}

/// A pupil's sign-in as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pupils)]
pub struct Credentials {
    pub learner_id: String,
    pub class_id: String,
    pub picture_a: String,
    pub picture_b: String,
    pub card_nonce: String,
    pub card_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A pupil with what their card needs.
#[derive(Debug, Clone)]
pub struct PupilCard {
    pub view: PupilView,
    pub token: String,
}

/// A name as a pupil's: trimmed, 1 to 100 characters (the cards print a control character
/// as a space).
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a name is needed");
    }
    if name.chars().count() > NAME_MAX {
        return Err("at most 100 characters");
    }
    Ok(name.to_string())
}

/// Two different pictures, drawn at random.
fn draw_pictures() -> [String; 2] {
    let mut rng = rand::rng();
    let a = rng.random_range(0..PICTURES.len());
    let b = (a + rng.random_range(1..PICTURES.len())) % PICTURES.len();
    [PICTURES[a].to_string(), PICTURES[b].to_string()]
}

/// Whether the class already has a pupil (or any member) with this name, ignoring case.
pub fn name_taken(conn: &mut DbConnection, class_id: &str, name: &str) -> QueryResult<bool> {
    let lower = name.to_lowercase();
    Ok(classes::roster(conn, class_id)?
        .iter()
        .any(|m| m.name.to_lowercase() == lower))
}

/// Makes one pupil in `class`: the account, its learner, the class membership, the sign-in,
/// and the audit entry, in the caller's transaction. `email` is an address already checked.
pub fn create(
    conn: &mut DbConnection,
    key: &CardKey,
    class: &Class,
    name: &str,
    email: Option<&str>,
    teacher_id: &str,
    meta: &RequestMeta,
) -> Result<PupilView, AppError> {
    let t = now();
    let user_id = uuid::Uuid::now_v7().to_string();
    let user = UserRow {
        id: user_id.clone(),
        email: email.map_or_else(|| format!("pupil:{user_id}"), str::to_string),
        name: name.to_string(),
        role: Role::Student.as_str().into(),
        password_hash: NO_PASSWORD.into(),
        token_version: 0,
        active: true,
        last_login_at: None,
        created_at: t,
        updated_at: t,
        email_verified_at: None,
    };
    users::insert(conn, &user)?;
    let learner = learners::for_student(&user_id, name, t);
    learners::insert(conn, &learner)?;
    classes::add_member(conn, &class.id, &learner.id)?;
    let picture = draw_pictures();
    let nonce = card::new_nonce();
    let token = key.token(&learner.id, &nonce);
    diesel::insert_into(pupils::table)
        .values((
            pupils::learner_id.eq(&learner.id),
            pupils::class_id.eq(&class.id),
            pupils::picture_a.eq(&picture[0]),
            pupils::picture_b.eq(&picture[1]),
            pupils::card_nonce.eq(&nonce),
            pupils::card_hash.eq(card::hash(&token)),
            pupils::created_at.eq(t),
            pupils::updated_at.eq(t),
        ))
        .execute(conn)?;
    let view = PupilView {
        learner_id: learner.id,
        user_id,
        name: name.to_string(),
        picture,
    };
    // The pictures are a sign-in secret: the log says who was made, not how they sign in.
    audit::record(
        conn,
        meta,
        Change {
            user_id: teacher_id,
            action: "create",
            entity_type: "pupil",
            entity_id: &view.learner_id,
            old: None,
            new: Some(json!({"class_id": class.id, "name": view.name, "user_id": view.user_id})),
        },
    )?;
    Ok(view)
}

/// A CSV line that made no pupil, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub created: Vec<PupilView>,
    pub skipped: Vec<Skipped>,
}

/// Makes a pupil of every good row, in the caller's transaction. Each row is checked whole
/// before anything of it is written (name, email, not twice in the class or the file), so a
/// row makes a whole pupil or nothing; `bad` are the lines the CSV reader refused already.
pub fn import(
    conn: &mut DbConnection,
    key: &CardKey,
    class: &Class,
    rows: Vec<csv::Row>,
    bad: Vec<csv::Bad>,
    teacher_id: &str,
    meta: &RequestMeta,
) -> Result<Imported, AppError> {
    use validator::ValidateEmail;
    let mut skipped: Vec<Skipped> = bad
        .into_iter()
        .map(|b| Skipped {
            line: b.line,
            reason: b.reason,
        })
        .collect();
    let mut names: Vec<String> = classes::roster(conn, &class.id)?
        .into_iter()
        .map(|m| m.name.to_lowercase())
        .collect();
    let mut emails: Vec<String> = Vec::new();
    let mut created = Vec::new();
    for row in rows {
        let skip = |reason: &str| Skipped {
            line: row.line,
            reason: reason.to_string(),
        };
        let name = match check_name(&row.name) {
            Ok(n) => n,
            Err(why) => {
                skipped.push(skip(why));
                continue;
            }
        };
        if names.contains(&name.to_lowercase()) {
            skipped.push(skip("the class already has a pupil of this name"));
            continue;
        }
        if let Some(email) = &row.email {
            if email.len() > 254 || !email.validate_email() {
                skipped.push(skip("not a valid email address"));
                continue;
            }
            if emails.contains(email) || users::email_taken(conn, email)? {
                skipped.push(skip("an account with this email already exists"));
                continue;
            }
            emails.push(email.clone());
        }
        names.push(name.to_lowercase());
        created.push(create(
            conn,
            key,
            class,
            &name,
            row.email.as_deref(),
            teacher_id,
            meta,
        )?);
    }
    skipped.sort_by_key(|s| s.line);
    audit::record(
        conn,
        meta,
        Change {
            user_id: teacher_id,
            action: "import",
            entity_type: "class",
            entity_id: &class.id,
            old: None,
            new: Some(json!({"created": created.len(), "skipped": skipped.len()})),
        },
    )?;
    Ok(Imported { created, skipped })
}

/// The class's pupils (made by its teacher), by name, with their cards' tokens.
pub fn of_class(
    conn: &mut DbConnection,
    key: &CardKey,
    class_id: &str,
) -> QueryResult<Vec<PupilCard>> {
    let rows: Vec<(Credentials, String, Option<String>)> = pupils::table
        .inner_join(learner_rows::table)
        .filter(pupils::class_id.eq(class_id))
        .order((learner_rows::name.asc(), learner_rows::id.asc()))
        .select((
            Credentials::as_select(),
            learner_rows::name,
            learner_rows::user_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, name, user_id)| PupilCard {
            token: key.token(&c.learner_id, &c.card_nonce),
            view: PupilView {
                learner_id: c.learner_id,
                user_id: user_id.unwrap_or_default(),
                name,
                picture: [c.picture_a, c.picture_b],
            },
        })
        .collect())
}

/// A pupil's sign-in, with their account's id.
pub fn credentials(
    conn: &mut DbConnection,
    learner_id: &str,
) -> QueryResult<Option<(Credentials, String)>> {
    let found: Option<(Credentials, Option<String>)> = pupils::table
        .inner_join(learner_rows::table)
        .filter(pupils::learner_id.eq(learner_id))
        .select((Credentials::as_select(), learner_rows::user_id))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(c, user)| user.map(|u| (c, u))))
}

/// The pupil whose card this is, with their account's id.
pub fn by_card(conn: &mut DbConnection, token: &str) -> QueryResult<Option<(Credentials, String)>> {
    let learner: Option<String> = pupils::table
        .filter(pupils::card_hash.eq(card::hash(token)))
        .select(pupils::learner_id)
        .first(conn)
        .optional()?;
    match learner {
        Some(id) => credentials(conn, &id),
        None => Ok(None),
    }
}

/// New pictures and a new card for a pupil of `class_id` (the old card stops working with
/// this commit); `None` when the class has no such pupil.
pub fn renew(
    conn: &mut DbConnection,
    key: &CardKey,
    class_id: &str,
    learner_id: &str,
    teacher_id: &str,
    meta: &RequestMeta,
) -> Result<Option<PupilView>, AppError> {
    let Some((found, user_id)) = credentials(conn, learner_id)? else {
        return Ok(None);
    };
    if found.class_id != class_id {
        return Ok(None);
    }
    let picture = draw_pictures();
    let nonce = card::new_nonce();
    let token = key.token(learner_id, &nonce);
    diesel::update(pupils::table.find(learner_id))
        .set((
            pupils::picture_a.eq(&picture[0]),
            pupils::picture_b.eq(&picture[1]),
            pupils::card_nonce.eq(&nonce),
            pupils::card_hash.eq(card::hash(&token)),
            pupils::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let name: String = learner_rows::table
        .find(learner_id)
        .select(learner_rows::name)
        .first(conn)?;
    audit::record(
        conn,
        meta,
        Change {
            user_id: teacher_id,
            action: "renew",
            entity_type: "pupil",
            entity_id: learner_id,
            old: None,
            new: Some(json!({"class_id": class_id})),
        },
    )?;
    Ok(Some(PupilView {
        learner_id: learner_id.to_string(),
        user_id,
        name,
        picture,
    }))
}

/// Whether the pupil is still on their class's roster (one the teacher took off it signs in
/// no more, by pictures or by card).
pub fn on_roster(conn: &mut DbConnection, c: &Credentials) -> QueryResult<bool> {
    Ok(classes::of_learner(conn, &c.learner_id)?.contains(&c.class_id))
}

/// Whether the two pictures are the pupil's, in order.
pub fn pictures_match(c: &Credentials, picture: &[String; 2]) -> bool {
    // Both compared whatever the first gives, so the time tells nothing of which was wrong.
    let a = c.picture_a == picture[0];
    let b = c.picture_b == picture[1];
    a & b
}

/// What the sign-in page shows for a class code: the class's name and its pupils (made by its
/// teacher), by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInList {
    pub class_name: String,
    pub pupils: Vec<SignInName>,
    /// The pictures to pick from, in the order the page shows them.
    pub pictures: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInName {
    pub learner_id: String,
    pub name: String,
}

/// The sign-in list of the class with this code, `None` for an unknown code.
pub fn sign_in_list(conn: &mut DbConnection, join_code: &str) -> QueryResult<Option<SignInList>> {
    let Some(class) = classes::by_join_code(conn, join_code)? else {
        return Ok(None);
    };
    let names: Vec<(String, String)> = pupils::table
        .inner_join(learner_rows::table)
        .filter(pupils::class_id.eq(&class.id))
        .order((learner_rows::name.asc(), learner_rows::id.asc()))
        .select((learner_rows::id, learner_rows::name))
        .load(conn)?;
    // Only pupils still on the roster: one the teacher took off it signs in no more.
    let members: Vec<String> = classes::roster(conn, &class.id)?
        .into_iter()
        .map(|m| m.learner_id)
        .collect();
    Ok(Some(SignInList {
        class_name: class.name,
        pupils: names
            .into_iter()
            .filter(|(id, _)| members.contains(id))
            .map(|(learner_id, name)| SignInName { learner_id, name })
            .collect(),
        pictures: PICTURES.iter().map(|p| p.to_string()).collect(),
    }))
}

/// The accounts of the class's pupils, to erase one: `Some(user_id)` when `learner_id` is a
/// pupil of `class_id`.
pub fn account_of(
    conn: &mut DbConnection,
    class_id: &str,
    learner_id: &str,
) -> QueryResult<Option<String>> {
    Ok(credentials(conn, learner_id)?
        .filter(|(c, _)| c.class_id == class_id)
        .map(|(_, user)| user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_different_pictures_of_the_sixteen() {
        for _ in 0..200 {
            let [a, b] = draw_pictures();
            assert_ne!(a, b);
            assert!(PICTURES.contains(&a.as_str()) && PICTURES.contains(&b.as_str()));
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Ada ").unwrap(), "Ada");
        assert!(check_name("   ").is_err());
        assert!(check_name(&"a".repeat(101)).is_err());
    }
}
