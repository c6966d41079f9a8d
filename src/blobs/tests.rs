use super::*;
use futures_util::stream;
use std::os::unix::fs::PermissionsExt;

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::new(dir.path()).unwrap();
    (dir, store)
}

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Content of `len` bytes that is not one repeated pattern.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn chunked(data: &[u8], size: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

/// Every regular file under `dir`, however deep.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn tmp_entries(store: &BlobStore) -> usize {
    std::fs::read_dir(store.root().join(TMP_DIR))
        .unwrap()
        .count()
}

#[test]
fn open_creates_private_directories() {
    let (_dir, store) = store();
    for path in [store.root().to_path_buf(), store.root().join(TMP_DIR)] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", path.display());
    }
}

#[tokio::test]
async fn ingest_streams_chunks_and_hashes_the_content() {
    let (_dir, store) = store();
    let data = content(300_000);
    let blob = store.ingest(chunked(&data, 7_777), 1 << 20).await.unwrap();
    assert_eq!(blob.hash, sha(&data));
    assert_eq!(blob.size, data.len() as u64);
    assert_eq!(blob.hash_hex(), hex::encode(sha(&data)));

    let hex = blob.hash_hex();
    let path = store.root().join(&hex[..2]).join(&hex[2..4]).join(&hex);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o400);
    let fanout = std::fs::metadata(path.parent().unwrap()).unwrap();
    assert_eq!(fanout.permissions().mode() & 0o777, 0o700);

    let (_file, size) = store.open(&blob.hash).await.unwrap();
    assert_eq!(size, data.len() as u64);
    assert!(store.exists(&blob.hash).await.unwrap());
    assert!(store.verify(&blob.hash).unwrap());
    assert_eq!(store.list().unwrap(), vec![blob.hash]);
    assert_eq!(tmp_entries(&store), 0);
}

#[tokio::test]
async fn one_byte_over_the_limit_fails_and_leaves_nothing() {
    let (_dir, store) = store();
    let data = content(10_001);
    for chunk in [1, 1000, 4096, 10_001] {
        let err = store
            .ingest(chunked(&data, chunk), 10_000)
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::TooLarge { limit: 10_000 }),
            "{err:?}"
        );
        assert_eq!(tmp_entries(&store), 0, "chunk size {chunk}");
        assert!(files_under(store.root()).is_empty(), "chunk size {chunk}");
    }
    let err = store.ingest_bytes(&data, 10_000).await.unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 10_000 }));
    assert!(files_under(store.root()).is_empty());
    assert!(store.list().unwrap().is_empty());
}

#[tokio::test]
async fn exactly_the_limit_is_accepted() {
    let (_dir, store) = store();
    let data = content(10_000);
    let blob = store.ingest(chunked(&data, 999), 10_000).await.unwrap();
    assert_eq!(blob.size, 10_000);
    let again = store.ingest_bytes(&data, 10_000).await.unwrap();
    assert_eq!(again, blob);
    let empty = store.ingest(chunked(&[], 1), 0).await.unwrap();
    assert_eq!(empty.size, 0);
    assert_eq!(empty.hash, sha(b""));
}

#[tokio::test]
async fn duplicates_are_stored_once() {
    let (_dir, store) = store();
    let data = content(50_000);
    let first = store.ingest(chunked(&data, 4096), u64::MAX).await.unwrap();
    let second = store.ingest(chunked(&data, 333), u64::MAX).await.unwrap();
    let third = store.ingest_bytes(&data, u64::MAX).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first, third);
    assert_eq!(store.list().unwrap(), vec![first.hash]);
    assert_eq!(files_under(store.root()).len(), 1);
    assert_eq!(tmp_entries(&store), 0);
}

#[tokio::test]
async fn a_damaged_copy_is_replaced_by_a_new_upload() {
    let (_dir, store) = store();
    let data = content(5_000);
    let blob = store.ingest_bytes(&data, u64::MAX).await.unwrap();
    let path = store.path_of(&blob.hash);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&path, &data[..100]).unwrap();
    assert!(!store.verify(&blob.hash).unwrap());
    store.ingest_bytes(&data, u64::MAX).await.unwrap();
    assert!(store.verify(&blob.hash).unwrap());
}

#[tokio::test]
async fn concurrent_identical_uploads_agree() {
    let (_dir, store) = store();
    let data = content(200_000);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let data = data.clone();
            tokio::spawn(async move { store.ingest(chunked(&data, 1000 + i), u64::MAX).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().hash, sha(&data));
    }
    assert_eq!(store.list().unwrap().len(), 1);
    assert!(store.verify(&sha(&data)).unwrap());
    assert_eq!(tmp_entries(&store), 0);
}

#[tokio::test]
async fn a_failing_stream_is_a_stream_error_and_cleans_up() {
    let (_dir, store) = store();
    let items: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"partial")),
        Err(std::io::Error::new(
            ErrorKind::ConnectionReset,
            "client gone",
        )),
    ];
    let err = store.ingest(stream::iter(items), 1000).await.unwrap_err();
    assert!(matches!(err, BlobError::Stream(_)), "{err:?}");
    assert!(files_under(store.root()).is_empty());
}

#[tokio::test]
async fn a_dropped_ingest_removes_its_temp_file() {
    let (_dir, store) = store();
    let first: Result<Bytes, std::io::Error> = Ok(Bytes::from_static(b"first chunk"));
    let never_ends = stream::iter(vec![first]).chain(stream::pending());
    let timed_out = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        store.ingest(never_ends, 1000),
    )
    .await;
    assert!(timed_out.is_err());
    // The guard removes the file on the blocking pool; give it a moment.
    for _ in 0..100 {
        if tmp_entries(&store) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(files_under(store.root()).is_empty());
}

#[tokio::test]
async fn type_comes_from_magic_bytes() {
    let (_dir, store) = store();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9";
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let pdf =
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00hello";
    // Declared names play no part: the store never sees one, so a "photo.png" that is a
    // PDF is a PDF.
    for (data, mime) in [
        (png.as_slice(), "image/png"),
        (jpeg.as_slice(), "image/jpeg"),
        (gif.as_slice(), "image/gif"),
        (pdf.as_slice(), "application/pdf"),
        (zip.as_slice(), "application/zip"),
    ] {
        let blob = store.ingest_bytes(data, u64::MAX).await.unwrap();
        assert_eq!(blob.mime, mime);
        // Streaming in tiny chunks must sniff the same prefix.
        let streamed = store.ingest(chunked(data, 3), u64::MAX).await.unwrap();
        assert_eq!(streamed.mime, mime);
    }
}

#[tokio::test]
async fn markup_is_text_never_an_image() {
    let (_dir, store) = store();
    let samples: [&[u8]; 5] = [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html>\n<body onload=alert(1)>",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        b"GIF89<svg onload=alert(1)>",
    ];
    for data in samples {
        let blob = store.ingest_bytes(data, u64::MAX).await.unwrap();
        assert!(blob.mime.starts_with("text/"), "{}", blob.mime);
        assert!(!blob.mime.contains("svg"), "{}", blob.mime);
        assert!(!is_inline_safe(&blob.mime), "{}", blob.mime);
    }
}

#[tokio::test]
async fn plain_text_and_unknown_binary() {
    let (_dir, store) = store();
    let text = "Drucker im 2. OG druckt nur Streifen.\nGrüße, Ärger\n".repeat(500);
    let blob = store.ingest(chunked(text.as_bytes(), 1000), u64::MAX).await;
    assert_eq!(blob.unwrap().mime, "text/plain");
    let binary = content(20_000);
    let blob = store.ingest_bytes(&binary, u64::MAX).await.unwrap();
    assert_eq!(blob.mime, "application/octet-stream");
    let blob = store.ingest_bytes(b"", u64::MAX).await.unwrap();
    assert_eq!(blob.mime, "application/octet-stream");
}

#[tokio::test]
async fn verify_detects_a_flipped_byte() {
    let (_dir, store) = store();
    let blob = store.ingest_bytes(&content(4096), u64::MAX).await.unwrap();
    assert!(store.verify(&blob.hash).unwrap());
    assert!(store.read_verified(&blob.hash, 1 << 20).await.is_ok());

    let path = store.path_of(&blob.hash);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1234] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    assert!(!store.verify(&blob.hash).unwrap());
    let err = store.read_verified(&blob.hash, 1 << 20).await.unwrap_err();
    assert!(matches!(err, BlobError::Corrupt { .. }), "{err:?}");
}

#[tokio::test]
async fn read_verified_respects_its_maximum() {
    let (_dir, store) = store();
    let blob = store.ingest_bytes(&content(100), u64::MAX).await.unwrap();
    let err = store.read_verified(&blob.hash, 99).await.unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 99 }));
    assert_eq!(
        store.read_verified(&blob.hash, 100).await.unwrap(),
        content(100)
    );
}

#[tokio::test]
async fn missing_blobs_are_not_found() {
    let (_dir, store) = store();
    let hash = sha(b"never stored");
    assert!(matches!(store.open(&hash).await, Err(BlobError::NotFound)));
    assert!(matches!(
        store.open_blocking(&hash),
        Err(BlobError::NotFound)
    ));
    assert!(matches!(store.verify(&hash), Err(BlobError::NotFound)));
    assert!(!store.exists(&hash).await.unwrap());
    assert!(!store.remove(&hash).await.unwrap());
}

#[tokio::test]
async fn remove_deletes_the_blob() {
    let (_dir, store) = store();
    let keep = store.ingest_bytes(b"keep me", u64::MAX).await.unwrap();
    let purge = store.ingest_bytes(b"purge me", u64::MAX).await.unwrap();
    assert!(store.remove(&purge.hash).await.unwrap());
    assert!(!store.exists(&purge.hash).await.unwrap());
    assert!(matches!(
        store.open(&purge.hash).await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(store.list().unwrap(), vec![keep.hash]);
    assert!(!store.remove(&purge.hash).await.unwrap());
}

#[tokio::test]
async fn list_skips_foreign_files_and_temp() {
    let (_dir, store) = store();
    let mut hashes = Vec::new();
    for i in 0..20u32 {
        let blob = store
            .ingest_bytes(&i.to_le_bytes(), u64::MAX)
            .await
            .unwrap();
        hashes.push(blob.hash);
    }
    hashes.sort_unstable();
    let root = store.root();
    std::fs::write(root.join("README"), b"x").unwrap();
    std::fs::write(root.join(TMP_DIR).join(hex::encode([7u8; 32])), b"x").unwrap();
    std::fs::create_dir_all(root.join("zz/00")).unwrap();
    // Right shape, wrong directory: not where path_of would look, so not listed.
    let misplaced = root.join("00/00").join(hex::encode([0xffu8; 32]));
    std::fs::create_dir_all(misplaced.parent().unwrap()).unwrap();
    std::fs::write(&misplaced, b"x").unwrap();
    std::fs::write(root.join("00/00/notes.txt"), b"x").unwrap();
    assert_eq!(store.list().unwrap(), hashes);
}

#[test]
fn clean_temp_removes_leftovers() {
    let (_dir, store) = store();
    let tmp = store.root().join(TMP_DIR);
    std::fs::write(tmp.join("1-2-3.part"), b"half a file").unwrap();
    std::fs::write(tmp.join("other"), b"").unwrap();
    std::fs::create_dir_all(tmp.join("dir/inner")).unwrap();
    assert_eq!(store.clean_temp().unwrap(), 3);
    assert_eq!(tmp_entries(&store), 0);
    assert_eq!(store.clean_temp().unwrap(), 0);
}

#[test]
fn blocking_ingest_from_a_reader() {
    let (_dir, store) = store();
    let data = content(150_000);
    let blob = store.ingest_blocking(data.as_slice(), 150_000).unwrap();
    assert_eq!(blob.hash, sha(&data));
    let err = store.ingest_blocking(data.as_slice(), 149_999).unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 149_999 }));
    assert_eq!(tmp_entries(&store), 0);
    let (mut file, size) = store.open_blocking(&blob.hash).unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!((size, back), (150_000, data));
}

#[test]
fn hash_hex_round_trip() {
    let hash = sha(b"abc");
    assert_eq!(parse_hash(&hex::encode(hash)), Some(hash));
    assert_eq!(parse_hash(&hex::encode_upper(hash)), None);
    assert_eq!(parse_hash("abc"), None);
    assert_eq!(parse_hash(&"g".repeat(64)), None);
}

#[test]
fn storage_full_is_recognisable() {
    let full = BlobError::io(Path::new("x"), std::io::Error::from(ErrorKind::StorageFull));
    assert!(full.is_storage_full());
    assert!(!BlobError::NotFound.is_storage_full());
}

#[test]
fn receiving_stored_content_again_makes_it_new() {
    let (_dir, store) = store();
    let data = content(1000);
    let first = store.ingest_blocking(data.as_slice(), 10_000).unwrap();
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    File::open(store.path_of(&first.hash))
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    assert_eq!(store.received_at(&first.hash).unwrap(), long_ago);
    store.ingest_blocking(data.as_slice(), 10_000).unwrap();
    assert!(store.received_at(&first.hash).unwrap() > long_ago);
}

#[tokio::test]
async fn links_in_the_store_are_never_followed() {
    let (dir, blobs) = store();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"not an attachment").unwrap();
    let data = content(1000);
    let stored = blobs.ingest(chunked(&data, 100), 10_000).await.unwrap();
    let path = blobs.path_of(&stored.hash);
    // A link in place of the blob itself.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    assert!(matches!(
        blobs.open(&stored.hash).await,
        Err(BlobError::NotFound)
    ));
    assert!(matches!(
        blobs.open_blocking(&stored.hash),
        Err(BlobError::NotFound)
    ));
    assert!(matches!(
        blobs.verify(&stored.hash),
        Err(BlobError::NotFound)
    ));
    // A link in place of a fan-out directory, leading to a real file named like the blob.
    let outside = dir.path().join("outside");
    let name = hex::encode(stored.hash);
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(&name), &data).unwrap();
    let fan_out = path.parent().unwrap().to_owned();
    std::fs::remove_dir_all(&fan_out).unwrap();
    std::os::unix::fs::symlink(&outside, &fan_out).unwrap();
    assert!(matches!(
        blobs.open(&stored.hash).await,
        Err(BlobError::NotFound)
    ));
    // A FIFO is refused without blocking.
    std::fs::remove_file(&fan_out).unwrap();
    std::fs::create_dir_all(&fan_out).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    assert!(matches!(
        blobs.open_blocking(&stored.hash),
        Err(BlobError::NotFound)
    ));
    // And a real blob still opens.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &data).unwrap();
    let (_, size) = blobs.open_blocking(&stored.hash).unwrap();
    assert_eq!(size, data.len() as u64);
}
