//! The backup file format, version 1: self-describing, streamed, encrypted in chunks.
//!
//! ```text
//! file    = MAGIC (16 bytes "STUDYHUB-BACKUP\n") || header_len (u32 BE) || header (JSON)
//!           || chunk* (the last one marked final; nothing may follow it)
//! chunk   = nonce (12 random bytes) || flags (u8; 1 = final) || len (u32 BE) || AES-256-GCM(plain)
//! AAD     = SHA-256(MAGIC || header_len || header) || chunk index (u64 BE) || flags
//! plain   = the record stream cut into pieces of `chunk_size` bytes
//! record  = kind (u8) || len (u32 BE) || payload
//!           'T' a table starts (payload: its name), 'R' a row (payload: a JSON object),
//!           'Z' the end (empty payload)
//! ```
//!
//! The header (format version, backup id, kind, key id, tables with their row counts) is in the
//! clear so a reader knows which key to use, and authenticated through every chunk's AAD. The
//! chunk index and the final flag in the AAD mean chunks cannot be reordered, dropped, repeated
//! or cut off without the reader noticing; the SHA-256 of the whole file is kept beside it.

use std::io::{Read, Write};

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::infra::crypto::{Cipher, Key};

pub const MAGIC: &[u8; 16] = b"STUDYHUB-BACKUP\n";
pub const FORMAT_VERSION: u32 = 1;
pub const CHUNK_SIZE: usize = 1 << 20;
const MAX_CHUNK: usize = 16 << 20;
const MAX_HEADER: usize = 1 << 20;
const MAX_RECORD: usize = 64 << 20;
const FLAG_FINAL: u8 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub backup_id: String,
    /// `system` or `user`.
    pub kind: String,
    /// The id of the key the chunks are encrypted with (see `crypto::key_id`).
    pub key_id: String,
    pub cipher: String,
    pub chunk_size: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The backend it was taken from (`sqlite` or `postgres`).
    pub source_backend: String,
    pub app_version: String,
    /// Every table in restore order, with its row count.
    pub tables: Vec<TableCount>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not a studyhub backup (the file does not start with the backup marker)")]
    NotABackup,
    #[error("backup format version {0} is not supported by this studyhub (it reads version 1)")]
    UnsupportedVersion(u32),
    #[error("the backup's header is damaged: {0}")]
    BadHeader(String),
    #[error(
        "the backup was encrypted with key {key_id}, which this server does not have (it knows {known}); \
         set STUDYHUB_ENCRYPTION_KEY or add the old key to STUDYHUB_ENCRYPTION_KEYS_OLD"
    )]
    UnknownKey { key_id: String, known: String },
    #[error(
        "chunk {0} of the backup failed authentication: the file was altered, or the key is wrong"
    )]
    Corrupt(u64),
    #[error("the backup is truncated: it ends before its final chunk")]
    Truncated,
    #[error("the backup has data after its final chunk")]
    TrailingData,
    #[error("the backup's contents are malformed: {0}")]
    BadRecord(String),
    #[error("reading or writing the backup failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A writer that hashes and counts what goes through it.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
    pub fn byte_count(&self) -> u64 {
        self.bytes
    }
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

fn aad(header_hash: &[u8; 32], index: u64, flags: u8) -> [u8; 41] {
    let mut a = [0u8; 41];
    a[..32].copy_from_slice(header_hash);
    a[32..40].copy_from_slice(&index.to_be_bytes());
    a[40] = flags;
    a
}

fn preamble(header: &Header) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("a header serializes");
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + json.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    out
}

/// What a finished backup file is.
#[derive(Debug, Clone)]
pub struct Written {
    pub sha256: String,
    pub size_bytes: u64,
}

/// Writes a backup: the header, then records, encrypted chunk by chunk as they fill.
pub struct BackupWriter<W: Write> {
    out: Hashing<W>,
    key: Key,
    header_hash: [u8; 32],
    index: u64,
    buf: Vec<u8>,
    chunk_size: usize,
}

impl<W: Write> BackupWriter<W> {
    /// Starts a file; `header.key_id` and `header.chunk_size` are set from the key used.
    pub fn new(out: W, cipher: &Cipher, mut header: Header) -> Result<Self, FormatError> {
        let key = cipher.current_key().clone();
        header.format = FORMAT_VERSION;
        header.key_id = key.id.clone();
        header.cipher = "AES-256-GCM".into();
        header.chunk_size = CHUNK_SIZE as u32;
        let pre = preamble(&header);
        let mut out = Hashing::new(out);
        out.write_all(&pre)?;
        Ok(Self {
            out,
            key,
            header_hash: Sha256::digest(&pre).into(),
            index: 0,
            buf: Vec::with_capacity(CHUNK_SIZE + 64),
            chunk_size: CHUNK_SIZE,
        })
    }

    /// Bytes written to the file so far.
    pub fn bytes_written(&self) -> u64 {
        self.out.byte_count()
    }

    fn record(&mut self, kind: u8, payload: &[u8]) -> Result<(), FormatError> {
        if payload.len() > MAX_RECORD {
            return Err(FormatError::BadRecord(format!(
                "a record of {} bytes is over the limit",
                payload.len()
            )));
        }
        self.buf.push(kind);
        self.buf
            .extend_from_slice(&(payload.len() as u32).to_be_bytes());
        self.buf.extend_from_slice(payload);
        while self.buf.len() > self.chunk_size {
            let rest = self.buf.split_off(self.chunk_size);
            let full = std::mem::replace(&mut self.buf, rest);
            self.seal(&full, 0)?;
        }
        Ok(())
    }

    pub fn table(&mut self, name: &str) -> Result<(), FormatError> {
        self.record(b'T', name.as_bytes())
    }

    pub fn row<T: Serialize>(&mut self, row: &T) -> Result<(), FormatError> {
        let json = serde_json::to_vec(row).map_err(|e| FormatError::BadRecord(e.to_string()))?;
        self.record(b'R', &json)
    }

    fn seal(&mut self, plain: &[u8], flags: u8) -> Result<(), FormatError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad(&self.header_hash, self.index, flags);
        let ct = self
            .key
            .aead
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption does not fail");
        self.out.write_all(&nonce)?;
        self.out.write_all(&[flags])?;
        self.out.write_all(&(ct.len() as u32).to_be_bytes())?;
        self.out.write_all(&ct)?;
        self.index += 1;
        Ok(())
    }

    /// Writes the end record and the final chunk; returns the writer and the file's digest.
    pub fn finish(mut self) -> Result<(W, Written), FormatError> {
        self.record(b'Z', &[])?;
        let last = std::mem::take(&mut self.buf);
        self.seal(&last, FLAG_FINAL)?;
        self.out.flush()?;
        let (w, sha256, size_bytes) = self.out.finish();
        Ok((w, Written { sha256, size_bytes }))
    }
}

/// One record of the stream.
#[derive(Debug)]
pub enum Record {
    Table(String),
    Row(Vec<u8>),
}

/// Reads a backup: checks the header, then decrypts and authenticates chunk by chunk.
pub struct BackupReader<R: Read> {
    input: Hashing<R>,
    key: Key,
    header_hash: [u8; 32],
    pub header: Header,
    index: u64,
    plain: Vec<u8>,
    pos: usize,
    finished_chunks: bool,
    ended: bool,
}

fn read_exact_or<R: Read>(r: &mut R, buf: &mut [u8], err: FormatError) -> Result<(), FormatError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => return Err(err),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Reads only the header of a backup (no key needed).
pub fn read_header<R: Read>(input: &mut R) -> Result<(Header, Vec<u8>), FormatError> {
    let mut magic = [0u8; 16];
    read_exact_or(input, &mut magic, FormatError::NotABackup)?;
    if &magic != MAGIC {
        return Err(FormatError::NotABackup);
    }
    let mut len = [0u8; 4];
    read_exact_or(input, &mut len, FormatError::Truncated)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_HEADER {
        return Err(FormatError::BadHeader("too long".into()));
    }
    let mut json = vec![0u8; len];
    read_exact_or(input, &mut json, FormatError::Truncated)?;
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let v: Version =
        serde_json::from_slice(&json).map_err(|e| FormatError::BadHeader(e.to_string()))?;
    if v.format != FORMAT_VERSION {
        return Err(FormatError::UnsupportedVersion(v.format));
    }
    let header: Header =
        serde_json::from_slice(&json).map_err(|e| FormatError::BadHeader(e.to_string()))?;
    if header.chunk_size as usize > MAX_CHUNK || header.chunk_size == 0 {
        return Err(FormatError::BadHeader("bad chunk size".into()));
    }
    let mut pre = Vec::with_capacity(20 + len);
    pre.extend_from_slice(MAGIC);
    pre.extend_from_slice(&(len as u32).to_be_bytes());
    pre.extend_from_slice(&json);
    Ok((header, pre))
}

impl<R: Read> BackupReader<R> {
    pub fn open(input: R, cipher: &Cipher) -> Result<Self, FormatError> {
        let mut input = Hashing::new(input);
        let (header, pre) = read_header(&mut input)?;
        let key = cipher
            .key_by_id(&header.key_id)
            .ok_or_else(|| FormatError::UnknownKey {
                key_id: header.key_id.clone(),
                known: cipher.key_ids().join(", "),
            })?
            .clone();
        Ok(Self {
            input,
            key,
            header_hash: Sha256::digest(&pre).into(),
            header,
            index: 0,
            plain: Vec::new(),
            pos: 0,
            finished_chunks: false,
            ended: false,
        })
    }

    /// Bytes of the file read so far.
    pub fn bytes_read(&self) -> u64 {
        self.input.byte_count()
    }

    /// Decrypts the next chunk into the plain buffer; false after the final one.
    fn next_chunk(&mut self) -> Result<bool, FormatError> {
        if self.finished_chunks {
            return Ok(false);
        }
        let mut head = [0u8; 17];
        read_exact_or(&mut self.input, &mut head, FormatError::Truncated)?;
        let nonce: [u8; 12] = head[..12].try_into().expect("12 bytes");
        let flags = head[12];
        let len = u32::from_be_bytes(head[13..17].try_into().expect("4 bytes")) as usize;
        if flags & !FLAG_FINAL != 0 || len < 16 || len > self.header.chunk_size as usize + 16 {
            return Err(FormatError::Corrupt(self.index));
        }
        let mut ct = vec![0u8; len];
        read_exact_or(&mut self.input, &mut ct, FormatError::Truncated)?;
        let aad = aad(&self.header_hash, self.index, flags);
        let plain = self
            .key
            .aead
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| FormatError::Corrupt(self.index))?;
        self.index += 1;
        self.plain.drain(..self.pos);
        self.pos = 0;
        self.plain.extend_from_slice(&plain);
        if flags & FLAG_FINAL != 0 {
            self.finished_chunks = true;
        }
        Ok(true)
    }

    /// Makes sure `n` plain bytes are buffered from the current position.
    fn fill(&mut self, n: usize) -> Result<(), FormatError> {
        while self.plain.len() - self.pos < n {
            if !self.next_chunk()? {
                return Err(FormatError::BadRecord(
                    "the stream ends inside a record".into(),
                ));
            }
        }
        Ok(())
    }

    /// The next record; `None` after the end record (the file is then checked to end).
    pub fn next_record(&mut self) -> Result<Option<Record>, FormatError> {
        if self.ended {
            return Ok(None);
        }
        self.fill(5)?;
        let kind = self.plain[self.pos];
        let len = u32::from_be_bytes(
            self.plain[self.pos + 1..self.pos + 5]
                .try_into()
                .expect("4 bytes"),
        ) as usize;
        if len > MAX_RECORD {
            return Err(FormatError::BadRecord("a record is too long".into()));
        }
        self.pos += 5;
        self.fill(len)?;
        let payload = self.plain[self.pos..self.pos + len].to_vec();
        self.pos += len;
        match kind {
            b'T' => Ok(Some(Record::Table(String::from_utf8(payload).map_err(
                |_| FormatError::BadRecord("a table name is not UTF-8".into()),
            )?))),
            b'R' => Ok(Some(Record::Row(payload))),
            b'Z' => {
                // The end record must be the last thing in the final chunk, and the final chunk
                // the last thing in the file.
                while self.next_chunk()? {}
                if self.pos != self.plain.len() {
                    return Err(FormatError::BadRecord("data after the end record".into()));
                }
                let mut probe = [0u8; 1];
                loop {
                    match self.input.read(&mut probe) {
                        Ok(0) => break,
                        Ok(_) => return Err(FormatError::TrailingData),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                self.ended = true;
                Ok(None)
            }
            other => Err(FormatError::BadRecord(format!(
                "unknown record kind {other}"
            ))),
        }
    }

    /// The SHA-256 (hex) and size of the whole file; call after `next_record` returned `None`.
    pub fn finish(self) -> (String, u64) {
        let (_, sha, n) = self.input.finish();
        (sha, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: 0,
            backup_id: "b1".into(),
            kind: "system".into(),
            key_id: String::new(),
            cipher: String::new(),
            chunk_size: 0,
            created_at: chrono::Utc::now(),
            source_backend: "sqlite".into(),
            app_version: "test".into(),
            tables: vec![TableCount {
                name: "t".into(),
                rows: 3000,
            }],
        }
    }

    fn sample(cipher: &Cipher) -> (Vec<u8>, Written) {
        let mut w = BackupWriter::new(Vec::new(), cipher, header()).unwrap();
        w.table("t").unwrap();
        for i in 0..3000 {
            // ~1 KiB rows so the stream spans several chunks.
            w.row(&serde_json::json!({"i": i, "pad": "x".repeat(1000)}))
                .unwrap();
        }
        let (bytes, written) = w.finish().unwrap();
        (bytes, written)
    }

    fn read_all(bytes: &[u8], cipher: &Cipher) -> Result<(usize, String), FormatError> {
        let mut r = BackupReader::open(bytes, cipher)?;
        let mut rows = 0;
        while let Some(rec) = r.next_record()? {
            if let Record::Row(_) = rec {
                rows += 1;
            }
        }
        Ok((rows, r.finish().0))
    }

    #[test]
    fn round_trip_over_several_chunks() {
        let c = Cipher::new(&[5u8; 32]);
        let (bytes, written) = sample(&c);
        assert_eq!(written.size_bytes as usize, bytes.len());
        assert!(bytes.len() > 2 * CHUNK_SIZE);
        let (rows, sha) = read_all(&bytes, &c).unwrap();
        assert_eq!(rows, 3000);
        assert_eq!(sha, written.sha256);
        let (h, _) = read_header(&mut &bytes[..]).unwrap();
        assert_eq!(h.key_id, c.key_id());
        assert_eq!(h.tables[0].rows, 3000);
    }

    #[test]
    fn wrong_key_truncation_tampering_reordering_fail() {
        let c = Cipher::new(&[5u8; 32]);
        let (bytes, _) = sample(&c);
        // Another key: refused by id before any decryption.
        assert!(matches!(
            read_all(&bytes, &Cipher::new(&[6u8; 32])),
            Err(FormatError::UnknownKey { .. })
        ));
        // The old key kept for reading opens it.
        assert!(read_all(&bytes, &Cipher::with_old_keys(&[6u8; 32], &[[5u8; 32]])).is_ok());
        // Truncated anywhere.
        for cut in [10, 200, bytes.len() / 2, bytes.len() - 1] {
            assert!(read_all(&bytes[..cut], &c).is_err(), "cut at {cut}");
        }
        // One flipped bit anywhere: in the header, in a chunk.
        for at in [30, 300, bytes.len() / 2, bytes.len() - 5] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            assert!(read_all(&bad, &c).is_err(), "flip at {at}");
        }
        // Trailing garbage.
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            read_all(&long, &c),
            Err(FormatError::TrailingData)
        ));
        // Dropping the final chunk (cut exactly at a chunk boundary) is caught too.
        let (_, pre) = read_header(&mut &bytes[..]).unwrap();
        let first_len =
            u32::from_be_bytes(bytes[pre.len() + 13..pre.len() + 17].try_into().unwrap()) as usize;
        let one_chunk = pre.len() + 17 + first_len;
        assert!(matches!(
            read_all(&bytes[..one_chunk], &c),
            Err(FormatError::Truncated)
        ));
        // Swapping the first two chunks fails authentication.
        let second_len =
            u32::from_be_bytes(bytes[one_chunk + 13..one_chunk + 17].try_into().unwrap()) as usize;
        let two = one_chunk + 17 + second_len;
        let mut swapped = bytes[..pre.len()].to_vec();
        swapped.extend_from_slice(&bytes[one_chunk..two]);
        swapped.extend_from_slice(&bytes[pre.len()..one_chunk]);
        swapped.extend_from_slice(&bytes[two..]);
        assert!(matches!(
            read_all(&swapped, &c),
            Err(FormatError::Corrupt(0))
        ));
        assert!(matches!(
            read_all(b"hello world, not a backup", &c),
            Err(FormatError::NotABackup)
        ));
    }
}
