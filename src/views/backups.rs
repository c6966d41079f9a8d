//! The operator's backup page `/admin/backups`: download a fresh archive, the scheduled
//! snapshots with their check results, the state of a restore, and where replaced data is
//! kept.

use jiff::Timestamp;
use maud::{Markup, html};

use super::admin::subnav;
use super::forms::csrf_field;
use super::parts::empty;
use super::table::{Cell, Row, col, responsive_table};
use super::time::{exact, relative};
use super::{PageCtx, layout};

/// One snapshot file.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    pub name: String,
    pub created_at: Option<Timestamp>,
    pub size: u64,
    /// The check after writing: `None` when it has not run.
    pub ok: Option<bool>,
    pub detail: String,
}

/// Where the last restore of the running instance stands.
pub use crate::domain::backup::RestorePhase;

#[derive(Debug, Clone)]
pub struct BackupsView {
    pub now: Timestamp,
    pub snapshots: Vec<SnapshotRow>,
    pub phase: RestorePhase,
    pub rebuilding: bool,
    pub schedule_hours: u64,
    pub keep: usize,
    /// `pre-restore-…` directories in the data directory, newest first.
    pub previous: Vec<String>,
    /// A confirmation to show (`snapshot`).
    pub done: Option<String>,
}

/// "512 B", "3.4 MB", "1.2 GB": decimal units, as file managers show them.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn phase_line(ctx: &PageCtx, phase: &RestorePhase) -> Option<(bool, String)> {
    let at = |t: &Timestamp| exact(ctx, *t);
    Some(match phase {
        RestorePhase::Idle => return None,
        RestorePhase::Staging { started } => (
            true,
            ctx.tf("backup.phase_staging", &[("time", &at(started))]),
        ),
        RestorePhase::Swapping { started } => (
            true,
            ctx.tf("backup.phase_swapping", &[("time", &at(started))]),
        ),
        RestorePhase::Rebuilding {
            restored_at,
            tickets,
            indexed,
        } => (
            true,
            ctx.tf(
                "backup.phase_rebuilding",
                &[
                    ("time", &at(restored_at)),
                    ("tickets", &tickets.to_string()),
                    ("indexed", &indexed.to_string()),
                ],
            ),
        ),
        RestorePhase::Done {
            restored_at,
            indexed,
            ..
        } => (
            true,
            ctx.tf(
                "backup.phase_done",
                &[
                    ("time", &at(restored_at)),
                    ("tickets", &indexed.to_string()),
                ],
            ),
        ),
        RestorePhase::Failed { at: when, error } => (
            false,
            ctx.tf(
                "backup.phase_failed",
                &[("time", &at(when)), ("error", error)],
            ),
        ),
    })
}

fn check_cell(ctx: &PageCtx, row: &SnapshotRow) -> Markup {
    html! {
        @match row.ok {
            Some(true) => span.badge.ok { (ctx.t("backup.check_ok")) },
            Some(false) => {
                span.badge.warn { (ctx.t("backup.check_failed")) }
                " "
                small { (row.detail) }
            },
            None => span.badge { (ctx.t("backup.check_unknown")) },
        }
    }
}

pub fn page(ctx: &PageCtx, v: &BackupsView) -> Markup {
    let title = ctx.t("backup.title");
    let col_size = ctx.t("backup.col_size");
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            @if v.done.as_deref() == Some("snapshot") {
                p.flash role="status" { (ctx.t("backup.done_snapshot")) }
            }
            (subnav(ctx, "/admin/backups"))
            @if let Some((ok, line)) = phase_line(ctx, &v.phase) {
                section.card role="status" {
                    p class=(if ok { "notice" } else { "notice error" }) { (line) }
                    @if let RestorePhase::Done { previous: Some(dir), warnings, .. } = &v.phase {
                        p.hint { (ctx.tf("backup.phase_previous", &[("dir", dir)])) }
                        @for w in warnings { p.hint { (w) } }
                    }
                }
            }
            @if v.rebuilding {
                p.notice role="status" { (ctx.t("backup.rebuilding")) }
            }
            section.card aria-labelledby="download-title" {
                h2 #download-title { (ctx.t("backup.download_title")) }
                p { (ctx.t("backup.download_text")) }
                div.actions {
                    a.button href="/api/v1/admin/backup" download { (ctx.t("backup.download_button")) }
                    form.inline method="post" action="/admin/backups/snapshot" {
                        (csrf_field(ctx))
                        button.secondary type="submit" { (ctx.t("backup.snapshot_button")) }
                    }
                }
            }
            section.card aria-labelledby="snapshots-title" {
                h2 #snapshots-title { (ctx.t("backup.snapshots_title")) }
                p.hint {
                    @if v.schedule_hours == 0 {
                        (ctx.t("backup.schedule_off"))
                    } @else {
                        (ctx.tf("backup.schedule", &[
                            ("hours", &v.schedule_hours.to_string()),
                            ("keep", &v.keep.to_string()),
                        ]))
                    }
                }
                @if v.snapshots.is_empty() {
                    (empty(ctx.t("backup.snapshots_empty")))
                } @else {
                    (responsive_table(
                        None,
                        &[col(ctx.t("backup.col_time")), col(col_size), col(ctx.t("backup.col_check")), col(ctx.t("backup.col_file"))],
                        v.snapshots.iter().map(|row| Row::new(vec![
                            Cell::Heading(html! {
                                @if let Some(t) = row.created_at {
                                    (relative(ctx, v.now, t))
                                }
                            }),
                            Cell::Data(html! { (human_bytes(row.size)) }),
                            Cell::Data(check_cell(ctx, row)),
                            Cell::Data(html! {
                                a href={ "/admin/backups/" (row.name) } download { (row.name) }
                            }),
                        ])),
                    ))
                }
            }
            section.card aria-labelledby="restore-title" {
                h2 #restore-title { (ctx.t("backup.restore_title")) }
                p { (ctx.t("backup.restore_text")) }
                pre { code { "curl -H \"Authorization: Bearer sbt_…\" --data-binary @backup.tar.zst https://HOST:8443/api/v1/admin/restore" } }
                p { (ctx.t("backup.restore_cli")) }
                pre { code { "supportbox restore backup.tar.zst" } }
            }
            @if !v.previous.is_empty() {
                section.card aria-labelledby="previous-title" {
                    h2 #previous-title { (ctx.t("backup.previous_title")) }
                    p.hint { (ctx.t("backup.previous_text")) }
                    ul { @for dir in &v.previous { li { code { (dir) } } } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::views::test_support::ctx;

    fn view() -> BackupsView {
        let now: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
        BackupsView {
            now,
            snapshots: vec![
                SnapshotRow {
                    name: "supportbox-20261127T080000Z.tar.zst".into(),
                    created_at: Some("2026-11-27T08:00:00Z".parse().unwrap()),
                    size: 12_345_678,
                    ok: Some(true),
                    detail: String::new(),
                },
                SnapshotRow {
                    name: "supportbox-20261126T080000Z.tar.zst".into(),
                    created_at: Some("2026-11-26T08:00:00Z".parse().unwrap()),
                    size: 10,
                    ok: Some(false),
                    detail: "archive refused at <blobs/x>: damaged".into(),
                },
            ],
            phase: RestorePhase::Done {
                restored_at: now,
                previous: Some("pre-restore-20261127T095900Z".into()),
                indexed: 42,
                warnings: vec![],
            },
            rebuilding: true,
            schedule_hours: 24,
            keep: 7,
            previous: vec!["pre-restore-20261127T095900Z".into()],
            done: Some("snapshot".into()),
        }
    }

    #[test]
    fn page_lists_snapshots_state_and_escapes_details() {
        for lang in [Lang::En, Lang::De] {
            let html = page(&ctx(lang), &view()).into_string();
            assert!(html.contains("/admin/backups/supportbox-20261127T080000Z.tar.zst"));
            assert!(html.contains("12.3 MB"));
            assert!(html.contains("pre-restore-20261127T095900Z"));
            assert!(html.contains("&lt;blobs/x&gt;"), "details are escaped");
            for key in [
                "backup.title",
                "backup.phase_done",
                "backup.schedule",
                "backup.col_size",
            ] {
                assert!(!html.contains(key), "{key} is shown raw");
            }
        }
    }

    #[test]
    fn a_rebuild_after_a_restore_shows_its_progress() {
        let mut v = view();
        v.phase = RestorePhase::Rebuilding {
            restored_at: v.now,
            tickets: 1_000,
            indexed: 250,
        };
        let html = page(&ctx(Lang::En), &v).into_string();
        assert!(html.contains("250 of 1000 tickets done"), "{html}");
        let html = page(&ctx(Lang::De), &v).into_string();
        assert!(html.contains("250 von 1000 Tickets"), "{html}");
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(2_000_000_000), "2.0 GB");
    }
}
