//! The configuration's layers, checks and secrets.

use super::*;

#[test]
fn redacts_passwords_in_urls() {
    assert_eq!(
        redact_url("postgres://u:pw@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(
        redact_url("redis://127.0.0.1:6379"),
        "redis://127.0.0.1:6379"
    );
}

#[test]
fn a_platforms_port_wins_and_s3_encryption_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        port: Some(5055),
        s3_bucket: Some("b".into()),
        s3_sse: Some("aws:kms".into()),
        ..Default::default()
    };
    let s = raw.clone().resolve().unwrap();
    assert_eq!(s.bind, "0.0.0.0:5055");
    assert_eq!(s.s3.unwrap().sse.as_deref(), Some("aws:kms"));
    let wrong = RawConfig {
        s3_sse: Some("rot13".into()),
        ..raw
    };
    let err = wrong.resolve().err().unwrap().to_string();
    assert!(err.contains("STUDYHUB_S3_SSE"), "{err}");
    let lax = RawConfig {
        data_dir: dir.path().to_path_buf(),
        cookie_samesite: "Lax".into(),
        ..Default::default()
    };
    assert_eq!(lax.resolve().unwrap().cookie_same_site, CookieSameSite::Lax);
    let insecure_none = RawConfig {
        data_dir: dir.path().to_path_buf(),
        cookie_samesite: "none".into(),
        ..Default::default()
    };
    let err = insecure_none.resolve().err().unwrap().to_string();
    assert!(err.contains("STUDYHUB_COOKIE_SECURE"), "{err}");
    let none = RawConfig {
        data_dir: dir.path().to_path_buf(),
        cookie_samesite: "none".into(),
        cookie_secure: true,
        ..Default::default()
    };
    assert_eq!(
        none.resolve().unwrap().cookie_same_site,
        CookieSameSite::None
    );
    let half_tls = RawConfig {
        data_dir: dir.path().to_path_buf(),
        tls_cert: Some("cert.pem".into()),
        ..Default::default()
    };
    let err = half_tls.resolve().err().unwrap().to_string();
    assert!(err.contains("STUDYHUB_TLS_KEY"), "{err}");
    let tls = RawConfig {
        data_dir: dir.path().to_path_buf(),
        tls_cert: Some("cert.pem".into()),
        tls_key: Some("key.pem".into()),
        ..Default::default()
    }
    .resolve()
    .unwrap();
    assert!(tls.cookie_secure && tls.tls.is_some());
    let d = RawConfig::default();
    assert_eq!(
        (d.retention_audit_days, d.retention_notifications_days),
        (365, 180)
    );
}

#[test]
fn generated_secrets_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let a = raw.clone().resolve().unwrap();
    let b = raw.resolve().unwrap();
    assert_eq!(a.jwt_secret.expose_secret(), b.jwt_secret.expose_secret());
    assert_eq!(
        a.encryption_key.expose_secret().0,
        b.encryption_key.expose_secret().0
    );
    assert_eq!(a.backend, Backend::Sqlite);
}

#[test]
fn rejects_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        encryption_key: Some("abcd".into()),
        ..Default::default()
    };
    assert!(raw.resolve().is_err());
}

#[test]
fn old_keys_are_parsed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        encryption_key: Some("22".repeat(32)),
        encryption_keys_old: Some(format!(" {} ,{}", "11".repeat(32), "33".repeat(32))),
        ..Default::default()
    };
    let s = raw.clone().resolve().unwrap();
    assert_eq!(s.old_encryption_keys.len(), 2);
    assert_eq!(s.cipher().key_ids().len(), 3);
    let both_names = RawConfig {
        old_encryption_keys: Some("44".repeat(32)),
        ..raw.clone()
    };
    assert_eq!(both_names.resolve().unwrap().old_encryption_keys.len(), 3);
    let bad = RawConfig {
        encryption_keys_old: Some("abcd".into()),
        ..raw
    };
    assert!(bad.resolve().is_err());
}

#[test]
fn backups_have_their_own_key_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        encryption_key: Some("22".repeat(32)),
        ..Default::default()
    };
    let same = raw.clone().resolve().unwrap();
    assert_eq!(same.backup_cipher().key_id(), same.cipher().key_id());
    let own = RawConfig {
        backup_key: Some("44".repeat(32)),
        ..raw.clone()
    }
    .resolve()
    .unwrap();
    assert_ne!(own.backup_cipher().key_id(), own.cipher().key_id());
    // A backup written before the backup key was set still reads.
    assert!(
        own.backup_cipher()
            .key_by_id(own.cipher().key_id())
            .is_some()
    );
    let bad = RawConfig {
        backup_key: Some("xyz".into()),
        ..raw
    };
    assert!(
        bad.resolve()
            .err()
            .unwrap()
            .to_string()
            .contains("STUDYHUB_BACKUP_KEY")
    );
}

#[test]
fn secrets_never_print() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        jwt_secret: Some("x".repeat(40)),
        database_url: Some("postgres://u:hunter2@h/db".into()),
        ..Default::default()
    };
    let printed = format!("{:?}", raw.resolve().unwrap());
    assert!(!printed.contains("hunter2") && !printed.contains(&"x".repeat(40)));
}

#[test]
fn the_vapid_key_is_generated_once_or_checked_and_the_subject_too() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let a = raw.clone().resolve().unwrap();
    let b = raw.clone().resolve().unwrap();
    assert_eq!(
        a.push.vapid_private_key.expose_secret().0,
        b.push.vapid_private_key.expose_secret().0
    );
    assert_eq!(a.push.vapid_subject, DEFAULT_VAPID_SUBJECT);
    assert!(!a.push.allow_insecure);
    // As `web-push generate-vapid-keys` prints one: 32 bytes, base64url.
    let set = RawConfig {
        vapid_private_key: Some("RS0WdYWWo1HajXg3NZR1olzCf31i-ZBGDkFyCs7j1jw".into()),
        vapid_subject: Some("https://learn.example.org".into()),
        ..raw.clone()
    }
    .resolve()
    .unwrap();
    assert_eq!(set.push.vapid_subject, "https://learn.example.org");
    assert_ne!(
        set.push.vapid_private_key.expose_secret().0,
        a.push.vapid_private_key.expose_secret().0
    );
    for bad in [
        "abcd",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &"/".repeat(43),
    ] {
        let raw = RawConfig {
            vapid_private_key: Some(bad.into()),
            ..raw.clone()
        };
        assert!(raw.resolve().is_err(), "{bad}");
    }
    let raw = RawConfig {
        vapid_subject: Some("ops@example.org".into()),
        ..raw
    };
    assert!(
        raw.resolve().is_err(),
        "a subject must be mailto: or https:"
    );
}
