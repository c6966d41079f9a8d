//! What is checked on every main page: screenshots at phone and desktop size, the phone
//! layout rules (no sideways scrolling, 44 px tap targets, tables as cards or in their own
//! scroll box), axe-core, landmarks, labels and visible keyboard focus.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::Value;

use super::harness::{DESKTOP, PHONE, Session, screenshot_dir};

/// The vendored axe-core (see the version note in `browser.rs`).
const AXE: &str = include_str!("axe.min.js");

/// What the one browser run found; each test asserts its own part.
#[derive(Debug, Default)]
pub struct Report {
    /// Each step of the run: its name and how it ended.
    pub steps: Vec<(String, Result<Duration, String>)>,
    /// Broken phone-layout rules, by page.
    pub layout: Vec<String>,
    /// Serious and critical axe violations, missing landmarks or labels, invisible focus.
    pub a11y: Vec<String>,
    /// Moderate and minor axe findings: reported, not failing.
    pub a11y_minor: Vec<String>,
    /// The pages that went through [`capture`].
    pub pages: Vec<String>,
    pub screenshots: Vec<PathBuf>,
    /// Things seen on the way that tests about known problems look at.
    pub notes: BTreeMap<String, String>,
    /// Why the run could not even start.
    pub fatal: Option<String>,
    pub elapsed: Duration,
}

impl Report {
    pub fn step(&self, name: &str) -> Option<&Result<Duration, String>> {
        self.steps.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }
}

/// Screenshots the page at both sizes and checks it; leaves the window as it found it.
/// axe needs the page's own timers, so it runs only where the page may run scripts
/// (the driver's synchronous scripts work either way).
pub async fn capture(s: &Session, report: &mut Report, name: &str) {
    let dir = screenshot_dir();
    let (w, h) = s.c.get_window_size().await.unwrap();
    for (label, size) in [("phone", PHONE), ("desktop", DESKTOP)] {
        s.resize(size).await;
        s.js("window.scrollTo(0, 0); return null;").await;
        let file = dir.join(format!("{label}-{name}.png"));
        s.screenshot(&file).await;
        report.screenshots.push(file);
        // The whole page as well, for reviewing what lies below the fold.
        let height = s
            .js("return Math.ceil(document.documentElement.scrollHeight);")
            .await
            .as_u64()
            .unwrap_or(u64::from(size.1)) as u32;
        if label == "phone" {
            phone_layout(s, report, name).await;
        }
        if height > size.1 {
            s.resize((size.0, height.min(6000))).await;
            let file = dir.join(format!("{label}-{name}-full.png"));
            s.screenshot(&file).await;
            report.screenshots.push(file);
        }
        // With the whole page in the window, axe sees every element's real background.
        if s.javascript {
            axe(s, report, &format!("{label}-{name}")).await;
        }
        s.resize(size).await;
    }
    structure(s, report, name).await;
    focus(s, report, name).await;
    s.resize((w as u32, h as u32)).await;
    report.pages.push(name.to_owned());
}

/// A short, readable name of an element, shared by the page scripts.
const NAME_JS: &str = r#"
const describe = (el) => {
  let s = el.tagName.toLowerCase();
  if (el.id) { s += '#' + el.id; }
  else {
    const holder = el.parentElement && el.parentElement.closest('[id]');
    if (el.getAttribute('name')) s += '[name="' + el.getAttribute('name') + '"]';
    if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
    if (holder && holder.id !== 'content') s = '#' + holder.id + ' ' + s;
  }
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 40);
  return text ? s + ' "' + text + '"' : s;
};
const shown = (el) => {
  const cs = getComputedStyle(el);
  if (cs.visibility === 'hidden' || cs.display === 'none') return false;
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.height > 1 && r.right > 0 && r.left < window.innerWidth;
};
"#;

const PHONE_JS: &str = r#"
const vw = window.innerWidth;
const out = { scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, wide: [], small: [], tables: [] };
if (out.scrollWidth > vw) {
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 0.5 && shown(el) && out.wide.length < 8) out.wide.push(describe(el) + ' reaches ' + Math.round(r.right) + ' px');
  }
}
// A link inside a sentence is exempt (WCAG 2.5.8): its size follows the line of text.
const inSentence = (el) => {
  if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
  const p = el.parentElement;
  if (!p || !/^(P|LI|DD|TD|TH|SPAN|LABEL|STRONG|EM|SMALL|BLOCKQUOTE)$/.test(p.tagName)) return false;
  return Array.prototype.some.call(p.childNodes, (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
};
for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary')) {
  if (el.type === 'hidden' || !shown(el)) continue;
  let box = el.getBoundingClientRect();
  // A checkbox or radio is tapped through its label.
  if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) box = el.labels[0].getBoundingClientRect();
  if (box.height < 43.5 && !inSentence(el)) out.small.push(describe(el) + ' is ' + Math.round(box.width) + '×' + Math.round(box.height) + ' px');
}
for (const t of document.querySelectorAll('table')) {
  if (!shown(t) || getComputedStyle(t).display === 'block') continue;
  let boxed = false;
  for (let p = t.parentElement; p && p !== document.body; p = p.parentElement) {
    const ox = getComputedStyle(p).overflowX;
    if (ox === 'auto' || ox === 'scroll') { boxed = true; break; }
  }
  if (!boxed) out.tables.push(describe(t));
}
return out;
"#;

async fn phone_layout(s: &Session, report: &mut Report, page: &str) {
    let size = s.inner_size().await;
    assert_eq!(size.0, PHONE.0, "the phone viewport is {PHONE:?}");
    let out = s.js(&format!("{NAME_JS}{PHONE_JS}")).await;
    let (scroll, inner) = (out["scrollWidth"].as_u64(), out["innerWidth"].as_u64());
    if scroll > inner {
        report.layout.push(format!(
            "phone-{page}: the page scrolls sideways ({} px wide in a {} px viewport): {}",
            scroll.unwrap_or(0),
            inner.unwrap_or(0),
            strings(&out["wide"]).join("; ")
        ));
    }
    for small in strings(&out["small"]) {
        report
            .layout
            .push(format!("phone-{page}: tap target under 44 px: {small}"));
    }
    for table in strings(&out["tables"]) {
        report.layout.push(format!(
            "phone-{page}: table is neither cards nor in its own scroll box: {table}"
        ));
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const AXE_RUN_JS: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(
  (r) => done({ passes: r.passes.length, violations: r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').replace(/\s+/g, ' ') })),
  })) }),
  (e) => done({ error: String(e) }),
);
"#;

/// Runs axe-core in the page: serious and critical violations fail, the rest is listed.
async fn axe(s: &Session, report: &mut Report, page: &str) {
    let loaded = s.js("return typeof window.axe === 'object';").await;
    if loaded != Value::Bool(true) {
        s.c.execute(AXE, vec![]).await.unwrap();
    }
    let result = s.c.execute_async(AXE_RUN_JS, vec![]).await.unwrap();
    if let Some(error) = result.get("error") {
        report
            .a11y
            .push(format!("{page}: axe failed to run: {error}"));
        return;
    }
    if result["passes"].as_u64().unwrap_or(0) == 0 {
        report
            .a11y
            .push(format!("{page}: axe checked nothing: {result}"));
    }
    for v in result["violations"].as_array().cloned().unwrap_or_default() {
        let impact = v["impact"].as_str().unwrap_or("unknown");
        let nodes: Vec<String> = v["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .map(|n| {
                        format!(
                            "      {} — {}",
                            n["target"].as_str().unwrap_or_default(),
                            n["summary"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let line = format!(
            "{page}: [{impact}] {} — {} ({} element{}):\n{}",
            v["id"].as_str().unwrap_or_default(),
            v["help"].as_str().unwrap_or_default(),
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" },
            nodes.join("\n")
        );
        if matches!(impact, "serious" | "critical") {
            report.a11y.push(line);
        } else {
            report.a11y_minor.push(line);
        }
    }
}

const STRUCTURE_JS: &str = r#"
const out = [];
const count = (sel) => document.querySelectorAll(sel).length;
if (count('main') !== 1) out.push('expected exactly one <main> landmark, found ' + count('main'));
if (count('body > header, header.site-header') < 1) out.push('no banner (<header>)');
if (count('nav') < 1) out.push('no navigation landmark (<nav>)');
if (count('body > footer, footer.site-footer') < 1) out.push('no contentinfo (<footer>)');
if (count('h1') !== 1) out.push('expected one <h1>, found ' + count('h1'));
if (!document.documentElement.lang) out.push('<html> has no lang');
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!labelled) out.push('field without a label: ' + describe(el));
}
return out;
"#;

async fn structure(s: &Session, report: &mut Report, page: &str) {
    let out = s.js(&format!("{NAME_JS}{STRUCTURE_JS}")).await;
    for problem in strings(&out) {
        report.a11y.push(format!("{page}: {problem}"));
    }
}

const FOCUS_JS: &str = r#"
const el = document.activeElement;
if (!el || el === document.body) return null;
const cs = getComputedStyle(el);
const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
const ring = cs.boxShadow && cs.boxShadow !== 'none';
const r = el.getBoundingClientRect();
const onScreen = r.right > 0 && r.bottom > 0 && r.left < window.innerWidth && r.top < window.innerHeight;
return { name: describe(el), visible: (outline || ring) && onScreen };
"#;

/// Tabs through the first elements of the page: each must show a focus ring on screen.
async fn focus(s: &Session, report: &mut Report, page: &str) {
    s.js("if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); return null;")
        .await;
    let tab: char = Key::Tab.into();
    for _ in 0..4 {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab });
        s.c.perform_actions(keys).await.unwrap();
        let out = s.js(&format!("{NAME_JS}{FOCUS_JS}")).await;
        if out.is_null() {
            continue;
        }
        if out["visible"] != Value::Bool(true) {
            report.a11y.push(format!(
                "{page}: keyboard focus is not visible on {}",
                out["name"].as_str().unwrap_or_default()
            ));
        }
    }
}
