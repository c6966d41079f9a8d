//! The layering rules of docs/architecture.md, checked on the source tree so that a new area
//! cannot quietly break them: imports flow `domain ← store, search, blobs ← backup ← service ←
//! http → views`,
//! only `store` names redb and only `search` names tantivy, and source files stay small
//! enough to read.

use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Longest non-test source file, in lines.
const MAX_LINES: usize = 600;

/// What each layer must not import (`crate::<module>`).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "store", "search", "blobs", "backup", "service", "http", "views", "app", "server",
            "config",
        ],
    ),
    (
        "store",
        &[
            "search", "blobs", "backup", "service", "http", "views", "app", "server",
        ],
    ),
    (
        "search",
        &[
            "store", "blobs", "backup", "service", "http", "views", "app", "server",
        ],
    ),
    (
        "blobs",
        &[
            "store", "search", "backup", "service", "http", "views", "app", "server",
        ],
    ),
    // Backup is file work over store and blobs; service orchestrates it.
    (
        "backup",
        &["search", "service", "http", "views", "app", "server"],
    ),
    ("service", &["http", "views", "app", "server"]),
    // http reaches storage and backups only through service; it may stream uploads into
    // blobs and name their files.
    ("http", &["store", "search", "backup"]),
    (
        "views",
        &[
            "store", "search", "blobs", "backup", "service", "http", "app", "server",
        ],
    ),
];

struct Source {
    /// Relative to `src/`, with `/` separators.
    path: String,
    /// The file up to its first `#[cfg(test)]` item: what ships.
    shipped: String,
    is_test: bool,
}

fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    collect(Path::new(SRC), &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let path = file
                .strip_prefix(SRC)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let is_test = name == "tests.rs"
                || name.ends_with("_tests.rs")
                || path
                    .split('/')
                    .any(|part| part == "tests" || part.ends_with("_tests"));
            let shipped = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_owned(),
                None => text,
            };
            Source {
                path,
                shipped,
                is_test,
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code lines only: a comment may mention redb or another layer.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(n, line)| {
        let code = line.split("//").next().unwrap_or("");
        (!code.trim().is_empty()).then_some((n + 1, code))
    })
}

#[test]
fn only_the_store_names_redb_and_only_search_names_tantivy() {
    let mut wrong = Vec::new();
    for src in sources().iter().filter(|s| !s.is_test) {
        for (crate_name, home) in [("redb", "store/"), ("tantivy", "search/")] {
            if src.path.starts_with(home) {
                continue;
            }
            for (n, code) in code_lines(&src.shipped) {
                if code.contains(&format!("{crate_name}::"))
                    || code.contains(&format!("use {crate_name}"))
                {
                    wrong.push(format!("src/{}:{n}: {}", src.path, code.trim()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "redb/tantivy outside their layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn imports_flow_from_domain_up_to_http_and_views() {
    let mut wrong = Vec::new();
    for src in sources().iter().filter(|s| !s.is_test) {
        let layer = src
            .path
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs");
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(l, _)| *l == layer) else {
            continue;
        };
        for (n, code) in code_lines(&src.shipped) {
            for module in *forbidden {
                if code.contains(&format!("crate::{module}::"))
                    || code.contains(&format!("crate::{module};"))
                    || code.contains(&format!("crate::{module}}}"))
                {
                    wrong.push(format!(
                        "src/{}:{n}: {layer} uses {module}: {}",
                        src.path,
                        code.trim()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn source_files_stay_under_the_length_limit() {
    let mut long = Vec::new();
    for src in sources().iter().filter(|s| !s.is_test) {
        let lines = std::fs::read_to_string(Path::new(SRC).join(&src.path))
            .unwrap()
            .lines()
            .count();
        if lines > MAX_LINES {
            long.push(format!("src/{} has {lines} lines", src.path));
        }
    }
    assert!(
        long.is_empty(),
        "split these files (at most {MAX_LINES} lines):\n{}",
        long.join("\n")
    );
}
