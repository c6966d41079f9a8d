use super::*;

mod reopen;

const T1: TenantId = TenantId(1);
const T2: TenantId = TenantId(2);
const ALICE: AccountId = AccountId(100);
const BOB: AccountId = AccountId(200);
/// The database generation the sample index belongs to.
const GENERATION: u128 = 0x5b_0001;

fn fresh() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let (index, state) = SearchIndex::open(dir.path(), GENERATION).unwrap();
    assert!(matches!(state, OpenState::NeedsRebuild { .. }), "{state:?}");
    (dir, index)
}

fn ticket(
    tenant: TenantId,
    number: u64,
    customer: AccountId,
    subject: &str,
    body: &str,
) -> TicketDoc {
    TicketDoc {
        tenant,
        number,
        customer,
        status: Status::Open,
        subject: subject.into(),
        body: body.into(),
        updated_micros: 1_700_000_000_000_000 + number as i64,
        messages: Vec::new(),
    }
}

fn msg(seq: u32, visibility: Visibility, body: &str) -> MessageDoc {
    MessageDoc {
        seq,
        visibility,
        body: body.into(),
    }
}

fn q(tenant: TenantId, scope: Scope, text: &str) -> SearchQuery {
    SearchQuery {
        tenant,
        scope,
        text: text.into(),
        limit: 20,
    }
}

fn staff(index: &SearchIndex, tenant: TenantId, text: &str) -> Vec<u64> {
    index
        .search_numbers(&q(tenant, Scope::Staff, text))
        .unwrap()
}

fn customer(index: &SearchIndex, who: AccountId, text: &str) -> Vec<u64> {
    index
        .search_numbers(&q(T1, Scope::Customer(who), text))
        .unwrap()
}

/// A small helpdesk: German and English tickets in tenant 1, look-alikes in tenant 2.
fn sample() -> (tempfile::TempDir, SearchIndex) {
    let (dir, index) = fresh();
    let mut t1 = ticket(
        T1,
        1,
        ALICE,
        "Drucker druckt nicht",
        "Seit heute kommt kein Papier.",
    );
    t1.messages = vec![
        msg(
            1,
            Visibility::Public,
            "Bitte Netzstecker ziehen und neu starten.",
        ),
        msg(
            2,
            Visibility::Internal,
            "Geheimnotiz: Toner vom Lieferanten Quargel bestellen.",
        ),
    ];
    index.upsert(&t1).unwrap();
    index
        .upsert(&ticket(
            T1,
            2,
            BOB,
            "Printers offline",
            "None of the printers on floor 3 respond.",
        ))
        .unwrap();
    index
        .upsert(&ticket(
            T1,
            3,
            ALICE,
            "Lüfter laut",
            "Der Lüfter im Server ist sehr laut.",
        ))
        .unwrap();
    index
        .upsert(&ticket(
            T2,
            1,
            ALICE,
            "Drucker druckt nicht",
            "Printers offline, Lüfter laut, Quargel",
        ))
        .unwrap();
    index.commit(7).unwrap();
    (dir, index)
}

#[test]
fn german_stemming() {
    let (_d, index) = sample();
    assert_eq!(staff(&index, T1, "drucken"), [1]);
    assert_eq!(staff(&index, T1, "Druckers"), [1]);
}

#[test]
fn english_stemming() {
    let (_d, index) = sample();
    index
        .upsert(&ticket(
            T1,
            4,
            BOB,
            "Scanning fails",
            "The scanner stopped scanning documents.",
        ))
        .unwrap();
    index.commit(8).unwrap();
    assert_eq!(staff(&index, T1, "printer"), [2]);
    assert_eq!(staff(&index, T1, "responding"), [2]);
    assert_eq!(staff(&index, T1, "scanned document"), [4]);
    // Snowball keeps "printer" and "print" apart; the prefix clause bridges them.
    assert_eq!(staff(&index, T1, "printing"), [2]);
}

#[test]
fn german_compounds_match_by_prefix() {
    let (_d, index) = fresh();
    index
        .upsert(&ticket(
            T1,
            1,
            ALICE,
            "Druckertreiber fehlt",
            "Nach dem Update.",
        ))
        .unwrap();
    index.commit(1).unwrap();
    assert_eq!(staff(&index, T1, "Drucker"), [1]);
    let res = index.search(&q(T1, Scope::Staff, "drucker")).unwrap();
    let s = &res.hits[0].snippet;
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert_eq!(marked, ["Druckertreiber"]);
}

#[test]
fn umlaut_folding() {
    let (_d, index) = sample();
    assert_eq!(staff(&index, T1, "lufter"), [3]);
    assert_eq!(staff(&index, T1, "LÜFTER"), [3]);
    assert_eq!(staff(&index, T1, "drücker"), [1]);
}

#[test]
fn typo_tolerance_for_long_words_only() {
    let (_d, index) = sample();
    assert_eq!(staff(&index, T1, "pirnter"), [2]);
    assert_eq!(staff(&index, T1, "Lüftre"), [3]);
    // Too short to be fuzzy: "laur" is not "laut".
    assert!(staff(&index, T1, "laur").is_empty());
    let res = index.search(&q(T1, Scope::Staff, "pirnter")).unwrap();
    let hit = &res.hits[0];
    let marked: Vec<&str> = hit
        .snippet
        .highlights
        .iter()
        .map(|r| &hit.snippet.text[r.clone()])
        .collect();
    assert!(marked.contains(&"printers"), "{marked:?}");
}

#[test]
fn typos_are_tried_only_when_exact_words_find_too_little() {
    let (_d, index) = fresh();
    index
        .upsert(&ticket(T1, 1, ALICE, "Printer jammed", "Paper stuck."))
        .unwrap();
    index
        .upsert(&ticket(
            T1,
            2,
            ALICE,
            "Pritner jammed",
            "Typo in the subject.",
        ))
        .unwrap();
    index.commit(1).unwrap();
    let mut query = q(T1, Scope::Staff, "printer");
    query.limit = 1;
    assert_eq!(index.search_numbers(&query).unwrap(), [1]);
    query.limit = 20;
    assert_eq!(index.search_numbers(&query).unwrap(), [1, 2]);
    for scope in [Scope::Staff, Scope::Customer(ALICE)] {
        let res = index.search(&q(T1, scope, "printer")).unwrap();
        let numbers: Vec<u64> = res.hits.iter().map(|h| h.number).collect();
        assert_eq!(numbers, [1, 2], "{scope:?}");
    }
}

#[test]
fn every_word_must_match_somewhere() {
    let (_d, index) = sample();
    assert_eq!(staff(&index, T1, "drucker papier"), [1]);
    // Subject word plus reply word: the message document carries the subject.
    assert_eq!(staff(&index, T1, "drucker netzstecker"), [1]);
    assert!(staff(&index, T1, "drucker server").is_empty());
    // Stop words are optional unless they are all there is.
    assert_eq!(staff(&index, T1, "the printers are offline"), [2]);
}

#[test]
fn phrases() {
    let (_d, index) = sample();
    assert_eq!(staff(&index, T1, "\"drucker druckt\""), [1]);
    assert!(staff(&index, T1, "\"druckt drucker\"").is_empty());
    assert_eq!(staff(&index, T1, "„sehr laut“"), [3]);
}

#[test]
fn tenant_isolation() {
    let (_d, index) = sample();
    for text in ["quargel", "printers offline", "lüfter", "drucker"] {
        let numbers = staff(&index, T2, text);
        assert_eq!(numbers, [1], "{text}");
    }
    let res = index.search(&q(T2, Scope::Staff, "drucker")).unwrap();
    assert_eq!(res.total_tickets, 1);
    assert!(res.hits.iter().all(|h| !h.snippet.text.contains("Papier")));
    assert!(staff(&index, TenantId(3), "drucker").is_empty());
}

#[test]
fn customer_scope() {
    let (_d, index) = sample();
    assert_eq!(customer(&index, ALICE, "drucker"), [1]);
    assert!(customer(&index, BOB, "drucker").is_empty());
    assert_eq!(customer(&index, BOB, "printers"), [2]);
    assert!(customer(&index, ALICE, "printers").is_empty());
    // The internal note: invisible to the customer, found by staff.
    assert!(customer(&index, ALICE, "Geheimnotiz").is_empty());
    assert!(customer(&index, ALICE, "quargel toner").is_empty());
    assert_eq!(staff(&index, T1, "Geheimnotiz"), [1]);
    let res = index.search(&q(T1, Scope::Staff, "toner")).unwrap();
    assert_eq!(res.hits[0].kind, HitKind::Message { seq: 2 });
    // A query matching ticket 1 everywhere still gives the customer no internal text.
    for text in [
        "drucker",
        "drucker toner",
        "drucker geheimnotiz",
        "bestellen",
        "druckt nicht",
    ] {
        let res = index.search(&q(T1, Scope::Customer(ALICE), text)).unwrap();
        for hit in &res.hits {
            assert!(!hit.snippet.text.contains("Geheimnotiz"), "{text}: {hit:?}");
            assert!(!hit.snippet.text.contains("Quargel"), "{text}: {hit:?}");
            assert_ne!(hit.kind, HitKind::Message { seq: 2 });
        }
    }
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let (_d, index) = sample();
    let mut t = ticket(T1, 1, ALICE, "Monitor flackert", "Bildschirm flimmert.");
    t.messages = vec![msg(1, Visibility::Public, "Kabel getauscht.")];
    index.upsert(&t).unwrap();
    index.commit(8).unwrap();
    assert!(staff(&index, T1, "drucker").is_empty());
    assert!(staff(&index, T1, "geheimnotiz").is_empty());
    assert_eq!(staff(&index, T1, "monitor"), [1]);
    assert_eq!(staff(&index, T1, "kabel"), [1]);
    assert_eq!(
        staff(&index, T2, "drucker"),
        [1],
        "the same number in tenant 2 stays"
    );
    index.delete(T1, 1).unwrap();
    index.commit(9).unwrap();
    assert!(staff(&index, T1, "monitor").is_empty());
    assert!(staff(&index, T1, "kabel").is_empty());
    assert_eq!(index.last_applied_seq(), 9);
}

#[test]
fn delete_all_and_rebuild_flag() {
    let (_d, index) = sample();
    assert_eq!(index.doc_count(), 6);
    index.set_rebuilding(true);
    index.delete_all().unwrap();
    index
        .upsert(&ticket(T1, 5, ALICE, "Neu", "Nach dem Neuaufbau"))
        .unwrap();
    index.commit(10).unwrap();
    assert_eq!(index.doc_count(), 1);
    let res = index.search(&q(T1, Scope::Staff, "neuaufbau")).unwrap();
    assert!(res.rebuilding);
    assert_eq!(res.hits.len(), 1);
    index.set_rebuilding(false);
    assert!(
        !index
            .search(&q(T1, Scope::Staff, "neu"))
            .unwrap()
            .rebuilding
    );
}

#[test]
fn query_syntax_never_errors_or_widens() {
    let (_d, index) = sample();
    let nasty = [
        "tenant:2",
        "*",
        "\"",
        "(",
        "title:x AND",
        "tenant:2 OR quargel",
        "customer:200 printers",
        "visibility:internal geheimnotiz",
        "quargel^10 ~2 [0 TO 9] {a} -drucker +toner",
        "\"\"\"(((",
        "",
        "   ",
        "\u{0}\u{feff}",
        &"x".repeat(10_000),
        &"a ".repeat(5_000),
    ];
    for text in nasty {
        for scope in [Scope::Staff, Scope::Customer(ALICE), Scope::Customer(BOB)] {
            let res = index.search(&q(T1, scope, text)).unwrap();
            for hit in &res.hits {
                assert!(hit.number <= 3, "{text:?}");
                if scope != Scope::Staff {
                    assert!(!hit.snippet.text.contains("Geheimnotiz"), "{text:?}");
                }
            }
            let numbers = index.search_numbers(&q(T1, scope, text)).unwrap();
            if scope == Scope::Customer(BOB) {
                assert!(numbers.iter().all(|&n| n == 2), "{text:?}: {numbers:?}");
            }
        }
    }
    // "tenant:2" is just the words "tenant" and "2": nothing in tenant 1 has them.
    assert!(staff(&index, T1, "tenant:2").is_empty());
    assert!(customer(&index, ALICE, "visibility:internal geheimnotiz").is_empty());
}

#[test]
fn highlights_are_char_boundaries_of_the_snippet() {
    let (_d, index) = fresh();
    let long = format!(
        "{} Der Lüfter läuft. Grüße aus Köln, wo der Drücker ständig klemmt. {}",
        "Äöü ß ".repeat(60),
        "Über alles ".repeat(60)
    );
    index
        .upsert(&ticket(T1, 1, ALICE, "Lüftergeräusch", &long))
        .unwrap();
    index.commit(1).unwrap();
    for text in ["lufter drucker", "lüftre", "grusse", "über", "ß"] {
        let res = index.search(&q(T1, Scope::Staff, text)).unwrap();
        for hit in &res.hits {
            let s = &hit.snippet;
            assert!(
                s.text.chars().count() <= snippet::SNIPPET_CHARS + 20,
                "{text}"
            );
            let mut last_end = 0;
            for r in &s.highlights {
                assert!(
                    r.start >= last_end && r.start < r.end && r.end <= s.text.len(),
                    "{text}"
                );
                assert!(s.text.is_char_boundary(r.start) && s.text.is_char_boundary(r.end));
                last_end = r.end;
            }
        }
    }
    let res = index
        .search(&q(T1, Scope::Staff, "lufter drucker"))
        .unwrap();
    let s = &res.hits[0].snippet;
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert!(
        marked.contains(&"Lüfter") && marked.contains(&"Drücker"),
        "{marked:?}"
    );
}

#[test]
fn results_collapse_to_tickets_and_respect_limit() {
    let (_d, index) = fresh();
    for n in 1..=30 {
        let mut t = ticket(
            T1,
            n,
            ALICE,
            "Netzwerk langsam",
            "Das Netzwerk ist langsam.",
        );
        t.messages = vec![msg(1, Visibility::Public, "Netzwerk geprüft.")];
        index.upsert(&t).unwrap();
    }
    index.commit(1).unwrap();
    let mut query = q(T1, Scope::Staff, "netzwerk");
    query.limit = 5;
    let res = index.search(&query).unwrap();
    assert_eq!(res.total_tickets, 30);
    assert_eq!(res.hits.len(), 5);
    let mut numbers: Vec<u64> = res.hits.iter().map(|h| h.number).collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 5);
    assert!(res.hits.windows(2).all(|w| w[0].score >= w[1].score));
    query.limit = 1000;
    assert_eq!(index.search_numbers(&query).unwrap().len(), 30);
    assert_eq!(index.doc_count(), 60);
}
