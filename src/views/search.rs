//! `/t/{slug}/search`: one search over the tickets the person may see, with the matching
//! passage and its highlighted words.

use std::ops::Range;

use maud::{Markup, html};

use super::parts::tenant_base;
use super::tickets::{status_badge, ticket_href, viewer_is_staff};
use super::{PageCtx, layout};
use crate::domain::read::{HitPlace, SearchHit, SearchOutcome};

/// The results page for `q`; an empty `q` shows the form alone.
pub fn results(ctx: &PageCtx, q: &str, outcome: &SearchOutcome) -> Markup {
    let title = ctx.t("search.title");
    let staff = viewer_is_staff(ctx);
    let searched = !q.trim().is_empty();
    let count = outcome.hits.len().to_string();
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            form.filter.search-form method="get" action={ (tenant_base(ctx)) "/search" } role="search" {
                div.field {
                    label for="f-search-q" { (ctx.t("search.label")) }
                    input #f-search-q type="search" name="q" value=(q) autocomplete="off" enterkeyhint="search";
                }
                button type="submit" { (ctx.t("form.search")) }
            }
            @if outcome.rebuilding {
                p.notice-text role="status" { (ctx.t("search.rebuilding")) }
            }
            @if !searched {
                p.empty { (ctx.t("search.start")) }
            } @else if outcome.hits.is_empty() {
                p.empty { (ctx.tf("search.none", &[("q", q)])) }
            } @else {
                p.result-count role="status" { (ctx.tf("search.count", &[("n", &count)])) }
                ol.search-hits {
                    @for hit in &outcome.hits {
                        (hit_item(ctx, hit, staff))
                    }
                }
            }
        },
    )
}

fn hit_item(ctx: &PageCtx, hit: &SearchHit, staff: bool) -> Markup {
    let mut href = ticket_href(ctx, hit.number);
    let place = match hit.place {
        HitPlace::Ticket => ctx.t("search.in_ticket").to_owned(),
        HitPlace::Message { seq } => {
            href.push_str(&format!("#m{seq}"));
            ctx.tf("search.in_message", &[("n", &seq.to_string())])
        }
    };
    html! {
        li.card.hit {
            h2.hit-title {
                a href=(href) { span.hit-number { "#" (hit.number) } " " (hit.subject) }
            }
            p.hit-meta { (status_badge(ctx, hit.status, staff)) " " span.hint { (place) } }
            @if !hit.snippet.is_empty() {
                p.snippet { (highlight(&hit.snippet, &hit.highlights)) }
            }
        }
    }
}

/// The ranges that can be marked: inside the text, on character boundaries, non-empty,
/// in order and not overlapping. Anything else from the index is ignored rather than
/// trusted.
fn usable_ranges(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = ranges
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last() {
            Some(last) if r.start < last.end => {}
            _ => out.push(r),
        }
    }
    out
}

/// `text` escaped, with the highlighted ranges wrapped in `<mark>`.
pub fn highlight(text: &str, ranges: &[Range<usize>]) -> Markup {
    let ranges = usable_ranges(text, ranges);
    let mut pieces: Vec<(&str, bool)> = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut pos = 0;
    for r in &ranges {
        pieces.push((text.get(pos..r.start).unwrap_or_default(), false));
        pieces.push((text.get(r.clone()).unwrap_or_default(), true));
        pos = r.end;
    }
    pieces.push((text.get(pos..).unwrap_or_default(), false));
    html! {
        @for (piece, marked) in pieces {
            @if marked {
                mark { (piece) }
            } @else if !piece.is_empty() {
                (piece)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::domain::ticket::Status;
    use crate::views::test_support::{assert_labelled, user_ctx};

    /// A range built from its ends, so backwards and one-element ranges read as data.
    fn r(start: usize, end: usize) -> Range<usize> {
        Range { start, end }
    }

    fn hit(snippet: &str, highlights: Vec<Range<usize>>) -> SearchHit {
        SearchHit {
            number: 42,
            subject: "<script>alert(1)</script> Drucker".into(),
            status: Status::Waiting,
            place: HitPlace::Message { seq: 3 },
            snippet: snippet.into(),
            highlights,
        }
    }

    #[test]
    fn highlights_are_escaped_and_bad_ranges_ignored() {
        let html = highlight("a <b> Drucker & ä", &[r(6, 13)]).into_string();
        assert_eq!(html, "a &lt;b&gt; <mark>Drucker</mark> &amp; ä");
        let text = "Grüße aus Köln";
        // 3..4 splits the two-byte ü; 20..30 is past the end; 9..2 is backwards.
        let html = highlight(
            text,
            &[r(3, 4), r(20, 30), r(9, 2), r(0, 2), r(1, 5), r(12, 17)],
        )
        .into_string();
        assert_eq!(html, "<mark>Gr</mark>üße aus <mark>Köln</mark>");
        assert_eq!(highlight("", &[r(0, 1)]).into_string(), "");
        let html = highlight("<i>x</i>", &[r(0, 8)]).into_string();
        assert_eq!(html, "<mark>&lt;i&gt;x&lt;/i&gt;</mark>");
    }

    #[test]
    fn results_show_hits_notices_and_empty_states() {
        for lang in Lang::ALL {
            let c = user_ctx(lang, Some(Role::Customer));
            let outcome = SearchOutcome {
                hits: vec![hit(
                    "der <img src=x onerror=alert(1)> Drucker streikt",
                    vec![r(33, 40)],
                )],
                rebuilding: true,
            };
            let html = results(&c, "drucker \"<x>", &outcome).into_string();
            assert_labelled(&html);
            assert!(html.contains("action=\"/t/acme/search\""));
            assert!(html.contains("value=\"drucker &quot;&lt;x&gt;\""));
            assert!(html.contains("href=\"/t/acme/tickets/42#m3\""));
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Drucker"));
            assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
            assert!(html.contains("<mark>Drucker</mark> streikt"), "{html}");
            assert!(html.contains("class=\"notice-text\""));
            assert!(html.contains("badge st-waiting"));
            if lang == Lang::En {
                assert!(
                    html.contains("Support is waiting for you"),
                    "customer wording"
                );
                assert!(html.contains("being rebuilt"));
            }
        }
        let c = user_ctx(Lang::De, Some(Role::Supporter));
        let html = results(&c, "", &SearchOutcome::default()).into_string();
        assert!(!html.contains("notice-text"));
        assert!(html.contains("class=\"empty\""));
        let html = results(&c, "zzz", &SearchOutcome::default()).into_string();
        assert!(html.contains("zzz"), "{html}");
        let outcome = SearchOutcome {
            hits: vec![hit("x", vec![])],
            rebuilding: false,
        };
        let html = results(&c, "x", &outcome).into_string();
        assert!(html.contains("Rückfrage"), "staff wording");
    }
}
