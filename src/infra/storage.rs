//! Object storage: drawings, narration and images, backups. A local folder by default, any
//! S3-compatible store when `STUDYHUB_S3_BUCKET` is set.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
#[error("object storage: {0}")]
pub struct StorageError(pub String);

pub struct Object {
    pub bytes: Bytes,
    pub content_type: String,
}

pub enum ObjectStore {
    Local(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        /// Server-side encryption every write asks for (`STUDYHUB_S3_SSE`).
        sse: Option<ServerSideEncryption>,
    },
}

/// Keys are paths of plain segments: letters, digits, `-`, `_`, `.`; no `..`, no leading `/`.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

/// The content type a file name implies (for the local store, which keeps no metadata).
pub fn content_type_of(key: &str) -> &'static str {
    match key
        .rsplit('.')
        .next()
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        Some("gif") => "image/gif",
        Some("mp3") => "audio/mpeg",
        Some("ogg") | Some("oga") => "audio/ogg",
        Some("wav") => "audio/wav",
        Some("m4a") => "audio/mp4",
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Runs a write through `tmp`; when it fails (a full or read-only disk), `tmp` goes, so no
/// partial object is left behind.
fn without_leftovers(
    tmp: &Path,
    write: impl FnOnce() -> std::io::Result<()>,
) -> std::io::Result<()> {
    let done = write();
    if done.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    done
}

impl ObjectStore {
    /// The store the settings name: S3 when a bucket is set, else `<data dir>/objects`.
    pub async fn open(settings: &crate::infra::config::Settings) -> std::io::Result<Self> {
        match &settings.s3 {
            Some(s3) => Ok(Self::s3(
                &s3.bucket,
                s3.endpoint.as_deref(),
                s3.region.as_deref(),
                s3.path_style,
                s3.sse.as_deref().map(ServerSideEncryption::from),
            )
            .await),
            None => Self::local(settings.data_dir.join("objects")),
        }
    }

    pub fn local(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(ObjectStore::Local(dir.as_ref().to_path_buf()))
    }

    /// An S3 store; credentials from the standard AWS chain (environment, profile, instance).
    /// The bucket is created if it does not exist (handy for MinIO or moto; ignored if not allowed).
    pub async fn s3(
        bucket: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
        path_style: bool,
        sse: Option<ServerSideEncryption>,
    ) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(
            aws_config::Region::new(region.unwrap_or("us-east-1").to_string()),
        );
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        let shared = loader.load().await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style)
            .build();
        let client = aws_sdk_s3::Client::from_conf(conf);
        if client.head_bucket().bucket(bucket).send().await.is_err()
            && let Err(e) = client.create_bucket().bucket(bucket).send().await
        {
            tracing::warn!(bucket, error = %aws_sdk_s3::error::DisplayErrorContext(&e), "bucket not reachable or not creatable");
        }
        ObjectStore::S3 {
            client,
            bucket: bucket.to_string(),
            sse,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ObjectStore::Local(_) => "local",
            ObjectStore::S3 { .. } => "s3",
        }
    }

    fn path(root: &Path, key: &str) -> Result<PathBuf, StorageError> {
        if !valid_key(key) {
            return Err(StorageError(format!("invalid key {key:?}")));
        }
        Ok(root.join(key))
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match self {
            ObjectStore::Local(root) => {
                let path = Self::path(root, key)?;
                tokio::task::spawn_blocking(move || {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    // Write then rename, so a reader never sees half a file.
                    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
                    without_leftovers(&tmp, || {
                        std::fs::write(&tmp, &bytes)?;
                        std::fs::rename(&tmp, &path)
                    })
                })
                .await
                .map_err(|e| StorageError(e.to_string()))?
                .map_err(|e| StorageError(e.to_string()))
            }
            ObjectStore::S3 {
                client,
                bucket,
                sse,
            } => client
                .put_object()
                .bucket(bucket)
                .set_server_side_encryption(sse.clone())
                .key(key)
                .content_type(content_type)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StorageError(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Object>, StorageError> {
        match self {
            ObjectStore::Local(root) => {
                let path = Self::path(root, key)?;
                let ct = content_type_of(key).to_string();
                match tokio::fs::read(&path).await {
                    Ok(b) => Ok(Some(Object {
                        bytes: Bytes::from(b),
                        content_type: ct,
                    })),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(StorageError(e.to_string())),
                }
            }
            ObjectStore::S3 { client, bucket, .. } => {
                if !valid_key(key) {
                    return Err(StorageError(format!("invalid key {key:?}")));
                }
                match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(out) => {
                        let ct = out
                            .content_type()
                            .map(String::from)
                            .unwrap_or_else(|| content_type_of(key).into());
                        let data = out
                            .body
                            .collect()
                            .await
                            .map_err(|e| StorageError(e.to_string()))?;
                        Ok(Some(Object {
                            bytes: data.into_bytes(),
                            content_type: ct,
                        }))
                    }
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                    Err(e) => Err(StorageError(
                        aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                    )),
                }
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self {
            ObjectStore::Local(root) => {
                let path = Self::path(root, key)?;
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(StorageError(e.to_string())),
                }
            }
            ObjectStore::S3 { client, bucket, .. } => client
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StorageError(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())),
        }
    }

    /// Stores a file's contents under `key` without reading it into memory (backups). One
    /// request on S3 (no multipart: objects up to 5 GiB).
    pub async fn put_file(
        &self,
        key: &str,
        file: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match self {
            ObjectStore::Local(root) => {
                let path = Self::path(root, key)?;
                let file = file.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
                    without_leftovers(&tmp, || {
                        std::fs::copy(&file, &tmp)?;
                        std::fs::File::open(&tmp)?.sync_all()?;
                        std::fs::rename(&tmp, &path)
                    })
                })
                .await
                .map_err(|e| StorageError(e.to_string()))?
                .map_err(|e| StorageError(e.to_string()))
            }
            ObjectStore::S3 {
                client,
                bucket,
                sse,
            } => {
                if !valid_key(key) {
                    return Err(StorageError(format!("invalid key {key:?}")));
                }
                let body = ByteStream::from_path(file)
                    .await
                    .map_err(|e| StorageError(e.to_string()))?;
                client
                    .put_object()
                    .bucket(bucket)
                    .set_server_side_encryption(sse.clone())
                    .key(key)
                    .content_type(content_type)
                    .body(body)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        StorageError(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
                    })
            }
        }
    }

    /// Writes the object `key` into `file` as it arrives (never whole in memory). `false`
    /// when there is no such object.
    pub async fn get_to_file(&self, key: &str, file: &Path) -> Result<bool, StorageError> {
        use tokio::io::AsyncWriteExt;
        let err = |e: std::io::Error| StorageError(e.to_string());
        match self {
            ObjectStore::Local(root) => {
                let path = Self::path(root, key)?;
                match tokio::fs::copy(&path, file).await {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(err(e)),
                }
            }
            ObjectStore::S3 { client, bucket, .. } => {
                if !valid_key(key) {
                    return Err(StorageError(format!("invalid key {key:?}")));
                }
                let mut out = match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(out) => out,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                        return Ok(false);
                    }
                    Err(e) => {
                        return Err(StorageError(
                            aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                        ));
                    }
                };
                let mut f = tokio::fs::File::create(file).await.map_err(err)?;
                while let Some(chunk) = out
                    .body
                    .try_next()
                    .await
                    .map_err(|e| StorageError(e.to_string()))?
                {
                    f.write_all(&chunk).await.map_err(err)?;
                }
                f.flush().await.map_err(err)?;
                Ok(true)
            }
        }
    }

    /// Whether the store answers (for `/health`), within two seconds.
    pub async fn check(&self) -> bool {
        let check = async {
            match self {
                ObjectStore::Local(root) => {
                    tokio::fs::metadata(root).await.is_ok_and(|m| m.is_dir())
                }
                ObjectStore::S3 { client, bucket, .. } => {
                    client.head_bucket().bucket(bucket).send().await.is_ok()
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), check)
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape() {
        assert!(valid_key("drawings/abc/1.png"));
        for bad in [
            "",
            "../etc/passwd",
            "a/../b",
            "/abs",
            "a//b",
            "a b",
            "a/./b",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
    }

    #[actix_web::test]
    async fn a_failed_local_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(dir.path()).unwrap();
        // The rename at the end fails: a non-empty folder holds the object's name.
        std::fs::create_dir_all(dir.path().join("x/y.png")).unwrap();
        std::fs::write(dir.path().join("x/y.png/z"), b"").unwrap();
        assert!(
            store
                .put("x/y.png", Bytes::from_static(b"png!"), "image/png")
                .await
                .is_err()
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("x"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["y.png"]);
    }

    #[actix_web::test]
    async fn local_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::local(dir.path()).unwrap();
        store
            .put("x/y.png", Bytes::from_static(b"png!"), "image/png")
            .await
            .unwrap();
        let got = store.get("x/y.png").await.unwrap().unwrap();
        assert_eq!(&got.bytes[..], b"png!");
        assert_eq!(got.content_type, "image/png");
        store.delete("x/y.png").await.unwrap();
        assert!(store.get("x/y.png").await.unwrap().is_none());
        assert!(store.get("../escape").await.is_err());
    }
}
