//! The server's memory from `/proc/<pid>/status`, sampled while a scenario runs, and the
//! size of the data directory.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

/// One reading of `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Mem {
    /// Peak resident set since the process started.
    pub vm_hwm_kib: u64,
    pub vm_rss_kib: u64,
    /// Anonymous memory (heap, stacks): what the budget limits.
    pub rss_anon_kib: u64,
    /// File-backed pages (mapped index segments, the binary).
    pub rss_file_kib: u64,
}

pub fn read_mem(pid: u32) -> Option<Mem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut m = Mem::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let v: u64 = value.parse().unwrap_or(0);
        match key {
            "VmHWM:" => m.vm_hwm_kib = v,
            "VmRSS:" => m.vm_rss_kib = v,
            "RssAnon:" => m.rss_anon_kib = v,
            "RssFile:" => m.rss_file_kib = v,
            _ => {}
        }
    }
    Some(m)
}

/// The largest values seen while a scenario ran.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MemPeak {
    pub samples: u64,
    pub max_vm_rss_kib: u64,
    pub max_rss_anon_kib: u64,
    pub max_rss_file_kib: u64,
    /// VmHWM at the end (peak since the server started, not only during this scenario).
    pub vm_hwm_kib: u64,
}

impl MemPeak {
    fn add(&mut self, m: Mem) {
        self.samples += 1;
        self.max_vm_rss_kib = self.max_vm_rss_kib.max(m.vm_rss_kib);
        self.max_rss_anon_kib = self.max_rss_anon_kib.max(m.rss_anon_kib);
        self.max_rss_file_kib = self.max_rss_file_kib.max(m.rss_file_kib);
        self.vm_hwm_kib = self.vm_hwm_kib.max(m.vm_hwm_kib);
    }
}

/// Samples every 100 ms on its own thread until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<MemPeak>>,
}

impl Sampler {
    pub fn start(pid: Option<u32>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = pid.map(|pid| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut peak = MemPeak::default();
                loop {
                    if let Some(m) = read_mem(pid) {
                        peak.add(m);
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                peak
            })
        });
        Sampler { stop, handle }
    }

    pub fn finish(mut self) -> Option<MemPeak> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().and_then(|h| h.join().ok())
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DirSize {
    /// Sum of file lengths.
    pub apparent_bytes: u64,
    /// Blocks actually allocated on disk (what `du` shows).
    pub disk_bytes: u64,
    pub files: u64,
}

pub fn dir_size(path: &Path) -> DirSize {
    let mut total = DirSize::default();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total.apparent_bytes += meta.len();
                total.disk_bytes += meta.blocks() * 512;
                total.files += 1;
            }
        }
    }
    total
}

/// CPU time (user + system, in clock ticks of 10 ms) per thread name of a process, from
/// `/proc/<pid>/task/*/stat`. Threads of the same name (tokio workers) are added up.
pub fn thread_ticks(pid: u32) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // "tid (comm) state ppid …": comm may contain spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After the comm: state is field 0, utime is 11, stime is 12.
        let ticks = fields
            .get(11)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        *out.entry(comm).or_insert(0) += ticks;
    }
    out
}

/// CPU seconds used between two readings, per thread name, largest first.
pub fn cpu_delta(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = after
        .iter()
        .map(|(k, a)| {
            let b = before.get(k).copied().unwrap_or(0);
            (k.clone(), a.saturating_sub(b) as f64 / 100.0)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}
