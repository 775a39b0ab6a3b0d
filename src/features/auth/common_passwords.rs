//! The most common passwords, refused when one is chosen (registration, a password change,
//! a reset): a list attackers try first, so an account with one falls to a few guesses
//! whatever the login throttle does (ASVS 2.1.7).
//!
//! The list is SecLists' `Passwords/Common-Credentials/10k-most-common.txt` (Daniel
//! Miessler, Jason Haddix and contributors, MIT licence: see `data/README.md`), embedded in
//! the binary, compared without regard to case.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::infra::error::AppError;

const LIST: &str = include_str!("data/common-passwords.txt");

fn list() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Whether `password` is on the list (case-insensitively).
pub fn is_common(password: &str) -> bool {
    list().contains(&password.to_lowercase())
}

/// 422 `validation_failed` naming `field` when `password` is one of the common ones.
pub fn refuse_common(field: &str, password: &str) -> Result<(), AppError> {
    if is_common(password) {
        return Err(AppError::invalid_field(
            field,
            "this password is one of the most common ones, which are tried first: choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ones_are_refused_whatever_their_case() {
        assert_eq!(list().len(), 10_000);
        for p in [
            "password",
            "PassWord1",
            "12345678",
            "iloveyou",
            "QWERTYUI",
            "baseball",
        ] {
            assert!(is_common(p), "{p}");
        }
        for p in [
            "correct horse battery",
            "a brand new secret",
            "Tr0ub4dor&3x",
        ] {
            assert!(!is_common(p), "{p}");
        }
        let e = refuse_common("new_password", "Password1").unwrap_err();
        assert!(e.details.unwrap()["fields"]["new_password"].is_string());
    }
}
