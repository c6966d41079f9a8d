//! Markdown written by people (ticket descriptions, replies, notes, solutions) rendered
//! to HTML. The output of pulldown-cmark is untrusted — raw HTML passes through it — so
//! everything goes through ammonia before it reaches the page. This is the one place in
//! the views that emits `PreEscaped` (docs/security.md, "Markdown").

use std::collections::HashSet;
use std::sync::LazyLock;

use maud::{Markup, PreEscaped, html};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Schemes a link or image may use; everything else (javascript:, data:, vbscript: …)
/// loses its href.
const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(URL_SCHEMES.into_iter().collect::<HashSet<_>>())
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Headings inside a thread entry sit below the page's own h1/h2, so a `# Title` in a
/// message cannot break the page outline.
fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The HTML for `md`, sanitised. Task-list boxes become ☐/☑ characters rather than
/// `<input>` elements, so no form control ever comes from user text.
pub fn to_html(md: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(md, options).map(|event| match event {
        Event::TaskListMarker(done) => Event::Text(if done { "☑ " } else { "☐ " }.into()),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut raw = String::with_capacity(md.len() + md.len() / 2);
    pulldown_cmark::html::push_html(&mut raw, events);
    SANITIZER.clean(&raw).to_string()
}

/// `md` as sanitised HTML inside `<div class="md">`.
pub fn render(md: &str) -> Markup {
    html! { div.md { (PreEscaped(to_html(md))) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(md: &str) -> String {
        render(md).into_string()
    }

    #[test]
    fn formats_the_usual_markdown() {
        let html = r(
            "# Title\n\n**bold** _it_ ~~gone~~ `code`\n\n- [x] done\n- [ ] open\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.starts_with("<div class=\"md\">"), "{html}");
        assert!(html.contains("<h3>Title</h3>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<em>it</em>"));
        assert!(html.contains("<del>gone</del>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("☑ done") && html.contains("☐ open"), "{html}");
        assert!(!html.contains("<input"));
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
    }

    #[test]
    fn scripts_and_handlers_never_survive() {
        for payload in [
            "<script>alert(1)</script>",
            "hello <script>alert(1)</script> world",
            "<img src=x onerror=alert(1)>",
            "<img src=\"x\" onerror=\"alert(1)\">",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1) )",
            "![x](javascript:alert(1))",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<style>body{display:none}</style>",
            "<div style=\"position:fixed\" onclick=\"alert(1)\">x</div>",
            "<svg onload=alert(1)><circle/></svg>",
            "<form action=/logout><button>x</button></form>",
            "<input type=hidden name=csrf value=x>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<object data=x></object><embed src=x>",
            "<meta http-equiv=refresh content=0;url=/x>",
            "<base href=\"https://evil.example/\">",
        ] {
            let html = r(payload).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "javascript:",
                "vbscript:",
                "data:text",
                "<iframe",
                "<style",
                "style=",
                "<svg",
                "<form",
                "<input",
                "<object",
                "<embed",
                "<meta",
                "<base",
            ] {
                assert!(!html.contains(bad), "{payload} → {html}");
            }
        }
    }

    #[test]
    fn links_are_marked_untrusted_and_harmless_html_stays() {
        let html = r("[site](https://example.org) and <b>bold</b> <kbd>Ctrl</kbd>");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
        assert!(html.contains("<b>bold</b>"));
        assert!(html.contains("<kbd>Ctrl</kbd>"));
        let html = r("[x](javascript:alert(1))");
        assert!(
            html.contains(">x</a>"),
            "the text stays, the href goes: {html}"
        );
    }

    #[test]
    fn plain_text_is_escaped() {
        let html = r("1 < 2 & \"quotes\" > 0");
        assert!(html.contains("1 &lt; 2 &amp;"), "{html}");
        assert_eq!(r(""), "<div class=\"md\"></div>");
    }
}
