//! Hostile input against the compiled binary, as an attacker would send it.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

use sha2::Digest;

pub fn supportbox(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supportbox"));
    command.args(args).env("SUPPORTBOX_DATA_DIR", data);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

pub fn file_hash(path: &Path) -> Vec<u8> {
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// `archive` with one more blob of `size` zero bytes, listed in its manifest: a small file
/// that would unpack to far more.
pub fn with_zero_blob(archive: &[u8], size: usize) -> (Vec<u8>, String) {
    let mut tar = tar::Archive::new(zstd::Decoder::new(archive).unwrap());
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        entries.push((name, data));
    }
    let mut manifest: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    let zeros = vec![0u8; size];
    let hash = hex::encode(sha2::Sha256::digest(&zeros));
    let name = format!("blobs/{hash}");
    manifest["entries"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "name": name, "sha256": hash, "bytes": size, "records": 1,
        }));
    entries[0].1 = serde_json::to_vec(&manifest).unwrap();
    entries.push((name.clone(), zeros));
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in &entries {
        let mut header = tar::Header::new_ustar();
        header.set_path(name).unwrap();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    let packed = zstd::encode_all(builder.into_inner().unwrap().as_slice(), 3).unwrap();
    (packed, name)
}

#[test]
fn a_restore_bomb_is_refused_by_restore_and_verify_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let made = supportbox(
        &data,
        &["demo-data", "--tenants", "1", "--tickets", "5"],
        &[],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let backup = dir.path().join("backup.tar.zst");
    let written = supportbox(&data, &["backup", "--out", backup.to_str().unwrap()], &[]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let (bomb, entry) = with_zero_blob(&std::fs::read(&backup).unwrap(), 8 * 1024 * 1024);
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb is small: {} bytes",
        bomb.len()
    );
    let bomb_file = dir.path().join("bomb.tar.zst");
    std::fs::write(&bomb_file, &bomb).unwrap();

    let db = data.join("supportbox.redb");
    let before = file_hash(&db);
    let limit = [("SUPPORTBOX_BACKUP_RESTORE_DATA_MIB", "4")];
    let restored = supportbox(&data, &["restore", bomb_file.to_str().unwrap()], &limit);
    let stderr = String::from_utf8_lossy(&restored.stderr);
    assert!(!restored.status.success());
    assert!(stderr.contains(&entry), "the entry is named: {stderr}");
    assert!(stderr.contains("unpacks to more than"), "{stderr}");
    assert_eq!(file_hash(&db), before, "the data is untouched");
    let leftovers: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("restore-") || n.starts_with("pre-restore-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    for quick in [true, false] {
        let mut args = vec!["verify", bomb_file.to_str().unwrap()];
        if quick {
            args.push("--quick");
        }
        let checked = supportbox(&data, &args, &limit);
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        assert!(!checked.status.success(), "quick={quick}: {out}");
        assert!(out.contains(&entry), "quick={quick}: {out}");
    }
}
