//! Dates as people read them (docs/ui.md, "Dates"): relative ("vor 3 Stunden" / "3 hours
//! ago") with the exact time on hover, in the server's time zone and the person's language.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::{Markup, html};

use super::PageCtx;

/// `<time datetime="…" title="exact">3 hours ago</time>` in the server's time zone.
pub fn relative(ctx: &PageCtx, now: Timestamp, ts: Timestamp) -> Markup {
    relative_in(ctx, now, ts, &TimeZone::system())
}

/// [`relative`] with an explicit time zone for the exact time.
pub fn relative_in(ctx: &PageCtx, now: Timestamp, ts: Timestamp, tz: &TimeZone) -> Markup {
    html! {
        time datetime=(ts.to_string()) title=(exact_in(ctx, ts, tz)) { (ago(ctx, now, ts)) }
    }
}

/// The exact time in the server's time zone, formatted for the person's language.
pub fn exact(ctx: &PageCtx, ts: Timestamp) -> String {
    exact_in(ctx, ts, &TimeZone::system())
}

/// The exact time in `tz`, formatted for the person's language (`time.format`).
pub fn exact_in(ctx: &PageCtx, ts: Timestamp, tz: &TimeZone) -> String {
    let zoned = ts.to_zoned_datetime(tz.clone());
    jiff::fmt::strtime::format(ctx.t("time.format"), &zoned).unwrap_or_else(|_| ts.to_string())
}

/// The relative phrase alone: "just now", "5 minutes ago", "in 3 days".
pub fn ago(ctx: &PageCtx, now: Timestamp, ts: Timestamp) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let diff = now.as_second().saturating_sub(ts.as_second());
    let past = diff >= 0;
    let secs = diff.saturating_abs();
    if secs < MINUTE {
        return ctx
            .t(if past { "time.just_now" } else { "time.soon" })
            .to_owned();
    }
    let (n, unit) = if secs < HOUR {
        (secs / MINUTE, "minute")
    } else if secs < DAY {
        (secs / HOUR, "hour")
    } else if secs < 30 * DAY {
        (secs / DAY, "day")
    } else if secs < 365 * DAY {
        (secs / (30 * DAY), "month")
    } else {
        (secs / (365 * DAY), "year")
    };
    let direction = if past { "ago" } else { "in" };
    let plural = if n == 1 { "" } else { "s" };
    ctx.tf(
        &format!("time.{direction}.{unit}{plural}"),
        &[("n", &n.to_string())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::views::test_support::ctx;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn relative_reads_naturally_in_both_languages() {
        let now = at("2025-03-10T12:00:00Z");
        let en = ctx(Lang::En);
        let de = ctx(Lang::De);
        assert_eq!(ago(&en, now, at("2025-03-10T11:59:30Z")), "just now");
        assert_eq!(ago(&de, now, at("2025-03-10T11:59:30Z")), "gerade eben");
        assert_eq!(ago(&en, now, at("2025-03-10T11:59:00Z")), "1 minute ago");
        assert_eq!(ago(&de, now, at("2025-03-10T09:00:00Z")), "vor 3 Stunden");
        assert_eq!(ago(&en, now, at("2025-03-10T09:00:00Z")), "3 hours ago");
        assert_eq!(ago(&de, now, at("2025-03-09T12:00:00Z")), "vor 1 Tag");
        assert_eq!(ago(&de, now, at("2025-03-05T12:00:00Z")), "vor 5 Tagen");
        assert_eq!(ago(&en, now, at("2025-03-13T12:00:00Z")), "in 3 days");
        assert_eq!(ago(&de, now, at("2025-03-13T12:00:00Z")), "in 3 Tagen");
        assert_eq!(ago(&en, now, at("2023-03-10T12:00:00Z")), "2 years ago");
        assert_eq!(ago(&de, now, at("2024-12-10T12:00:00Z")), "vor 3 Monaten");
    }

    #[test]
    fn relative_markup_carries_the_exact_time() {
        let now = at("2025-03-10T12:00:00Z");
        let ts = at("2025-03-10T09:05:00Z");
        let html = relative_in(&ctx(Lang::De), now, ts, &TimeZone::UTC).into_string();
        assert!(html.contains("datetime=\"2025-03-10T09:05:00Z\""), "{html}");
        assert!(html.contains("title=\"10.03.2025, 09:05"), "{html}");
        assert!(html.contains(">vor 2 Stunden</time>"), "{html}");
        let html = relative_in(&ctx(Lang::En), now, ts, &TimeZone::UTC).into_string();
        assert!(html.contains("title=\"2025-03-10 09:05"), "{html}");
    }
}
