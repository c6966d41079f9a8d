//! Rendering checks of the ticket page: what each role sees and may do, in both languages.

use super::*;
use crate::domain::ids::TenantId;
use crate::domain::lang::Lang;
use crate::domain::role::Role;
use crate::domain::ticket::HistoryEntry;
use crate::views::test_support::{assert_labelled, user_ctx};
use crate::views::tickets::fixtures::{
    ADMIN, CUSTOMER, SUPPORTER, account, at, now, priority, ticket, topic,
};

fn msg(seq: u32, author: AccountId, visibility: Visibility, body: &str) -> Message {
    Message {
        tenant: TenantId(1),
        ticket: 42,
        seq,
        author,
        visibility,
        body: body.into(),
        attachments: Vec::new(),
        created_at: at("2025-03-10T09:00:00Z") + jiff::SignedDuration::from_mins(i64::from(seq)),
    }
}

fn entry(seq: u32, actor: AccountId, change: Change) -> (HistoryEntry, Option<Account>) {
    (
        HistoryEntry {
            tenant: TenantId(1),
            ticket: 42,
            seq,
            at: at("2025-03-10T10:00:00Z"),
            actor,
            change,
        },
        Some(account(
            actor,
            if actor == CUSTOMER { "Carla" } else { "Sam" },
        )),
    )
}

fn detail(status: Status) -> TicketDetail {
    let mut t = ticket(42, status, "Drucker <script>alert(1)</script>");
    let customer = account(CUSTOMER, "Carla \"Customer\"");
    let sam = account(SUPPORTER, "Sam Supporter");
    let mut first = msg(
        1,
        CUSTOMER,
        Visibility::Public,
        "It prints **blank** pages <img src=x onerror=alert(1)>",
    );
    first.attachments = vec![
        Attachment {
            hash: [1; 32],
            name: "screen<script>.png".into(),
            mime: "image/png".into(),
            size: 2048,
        },
        Attachment {
            hash: [2; 32],
            name: "log\"><b>x</b>.txt".into(),
            mime: "text/plain".into(),
            size: 3 * 1024 * 1024,
        },
    ];
    let note = msg(
        2,
        SUPPORTER,
        Visibility::Internal,
        "SECRET toner supplier is late",
    );
    let reply = msg(
        3,
        SUPPORTER,
        Visibility::Public,
        "Did you try turning it off and on?",
    );
    if status != Status::New {
        t.assignee = Some(SUPPORTER);
        t.priority = Some(PriorityId(1));
    }
    let mut deleted_topic = topic(7, "Old printers");
    deleted_topic.deleted = true;
    t.topic = Some(deleted_topic.id);
    TicketDetail {
        ticket: t,
        customer: Some(customer.clone()),
        created_by: Some(customer.clone()),
        assignee: (status != Status::New).then(|| sam.clone()),
        priority: (status != Status::New).then(|| priority(1, "Urgent")),
        topic: Some(deleted_topic),
        messages: vec![
            (reply, Some(sam.clone())),
            (first, Some(customer)),
            (note, Some(sam.clone())),
        ],
        history: vec![
            entry(1, CUSTOMER, Change::Created { on_behalf: false }),
            entry(
                2,
                SUPPORTER,
                Change::Accepted {
                    assignee: SUPPORTER,
                    priority: PriorityId(1),
                },
            ),
            entry(3, SUPPORTER, Change::Noted { seq: 2 }),
            entry(
                4,
                SUPPORTER,
                Change::StatusChanged {
                    from: Status::Open,
                    to: Status::Waiting,
                },
            ),
        ],
        staff: vec![sam, account(ADMIN, "Ada Admin")],
        priorities: vec![priority(1, "Urgent"), priority(2, "Normal")],
        topics: vec![topic(1, "Printers")],
    }
}

fn customer() -> Actor {
    Actor {
        account: CUSTOMER,
        role: Role::Customer,
    }
}

fn supporter() -> Actor {
    Actor {
        account: SUPPORTER,
        role: Role::Supporter,
    }
}

fn admin() -> Actor {
    Actor {
        account: ADMIN,
        role: Role::TenantAdmin,
    }
}

fn render(lang: Lang, d: &TicketDetail, viewer: Actor) -> String {
    let c = user_ctx(lang, Some(viewer.role));
    ticket_page(&c, now(), d, viewer, &FormErrors::new(), None).into_string()
}

#[test]
fn customers_see_their_words_and_never_internal_notes() {
    for lang in Lang::ALL {
        let html = render(lang, &detail(Status::Waiting), customer());
        assert_labelled(&html);
        assert!(!html.contains("SECRET"), "internal note leaked");
        assert!(!html.contains("internal-label"));
        assert!(
            !html.contains("hat eine interne Notiz") && !html.contains("added an internal note")
        );
        assert!(html.contains("data-live=\"/t/acme/events\""));
        assert!(html.contains("data-ticket=\"42\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/reply\""));
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(html.contains("class=\"button sticky-reply\" href=\"#reply\""));
        for forbidden in [
            "/accept",
            "/assign",
            "/note",
            "/priority\"",
            "/topic\"",
            "/resolve",
            "/close",
            "/delete",
            "/purge",
            "/restore",
            "/reopen",
        ] {
            assert!(
                !html.contains(&format!("/t/acme/tickets/42{forbidden}")),
                "{lang}: {forbidden}"
            );
        }
        assert!(html.contains("href=\"/t/acme/my\""));
    }
    let html = render(Lang::En, &detail(Status::Waiting), customer());
    assert!(html.contains("Request #42"));
    assert!(html.contains("Support is waiting for you"));
    assert!(html.contains("Waiting for your answer"));
    assert!(html.contains("class=\"whose-move move-you\""));
    assert!(html.contains("Previous correspondence"));
    let html = render(Lang::De, &detail(Status::Waiting), customer());
    assert!(html.contains("Der Support wartet auf Sie"));
    assert!(html.contains("Wartet auf Ihre Antwort"));
    assert!(html.contains("Bisherige Korrespondenz"));
}

#[test]
fn hostile_subject_body_and_file_names_render_inert() {
    let html = render(Lang::En, &detail(Status::Open), supporter());
    assert!(!html.contains("<script>alert"), "subject");
    assert!(html.contains("Drucker &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("onerror"), "markdown body is sanitised");
    assert!(html.contains("<strong>blank</strong>"));
    assert!(html.contains("alt=\"screen&lt;script&gt;.png\""));
    assert!(html.contains("src=\"/t/acme/tickets/42/files/1/0?thumb=1\""));
    assert!(html.contains("href=\"/t/acme/tickets/42/files/1/1\""));
    assert!(html.contains("log&quot;&gt;&lt;b&gt;x&lt;/b&gt;.txt"));
    assert!(!html.contains("<b>x</b>"));
    assert!(html.contains("3.0 MB") && html.contains("2.0 KB"), "{html}");
    assert!(html.contains("Carla &quot;Customer&quot;"));
    assert!(html.contains("href=\"mailto:10@example.org\""));
    assert!(html.contains("href=\"tel:+4930123456\""));
}

#[test]
fn the_thread_runs_oldest_first_and_marks_internal_notes() {
    let html = render(Lang::De, &detail(Status::Open), supporter());
    let first = html.find("id=\"m1\"").unwrap();
    let note = html.find("id=\"m2\"").unwrap();
    let reply = html.find("id=\"m3\"").unwrap();
    assert!(first < note && note < reply);
    assert!(
        html.contains("<li class=\"message internal\" id=\"m2\">"),
        "{html}"
    );
    assert!(html.contains("SECRET"));
    assert!(html.contains("Interne Notiz"));
    assert!(html.contains("ursprüngliche Anfrage"));
    assert!(html.contains("<details class=\"history\">"));
    assert!(html.contains("hat eine interne Notiz hinzugefügt"));
    assert!(
        html.contains("zuständig: Sam Supporter, Priorität: Urgent"),
        "{html}"
    );
    assert!(html.contains("von „Angenommen“ auf „Rückfrage“"));
    assert!(
        html.contains("Old printers") && html.contains(">gelöscht<"),
        "deleted topic marked"
    );
}

#[test]
fn staff_get_the_actions_the_status_allows() {
    // New: accept (priority + assignee, self by default), note, resolve, close, delete.
    let html = render(Lang::En, &detail(Status::New), supporter());
    assert_labelled(&html);
    assert!(html.contains("Ticket #42"));
    assert!(html.contains("action=\"/t/acme/tickets/42/accept\""));
    assert!(html.contains("id=\"f-accept-priority\" name=\"priority\""));
    assert!(
        html.contains("<option value=\"20\" selected>Sam Supporter</option>"),
        "self by default"
    );
    assert!(
        !html.contains("/t/acme/tickets/42/reply"),
        "a new ticket is accepted before replying"
    );
    assert!(!html.contains("sticky-reply"));
    assert!(html.contains("action=\"/t/acme/tickets/42/note\""));
    assert!(html.contains("action=\"/t/acme/tickets/42/resolve\""));
    assert!(html.contains("action=\"/t/acme/tickets/42/close\""));
    assert!(html.contains("action=\"/t/acme/tickets/42/delete\""));
    assert!(html.contains("data-confirm="));
    assert!(!html.contains("/reopen") && !html.contains("/restore") && !html.contains("/purge"));
    assert!(html.contains("Waiting to be accepted"));
    assert!(html.contains("Neu") || html.contains(">New<"));

    // Open: reply, forward with note, priority and topic, resolve.
    let html = render(Lang::En, &detail(Status::Open), supporter());
    assert_labelled(&html);
    assert!(html.contains("action=\"/t/acme/tickets/42/reply\""));
    assert!(html.contains("sticky-reply"));
    assert!(html.contains("action=\"/t/acme/tickets/42/assign\""));
    assert!(html.contains("name=\"note\""));
    assert!(html.contains("action=\"/t/acme/tickets/42/priority\""));
    assert!(html.contains("action=\"/t/acme/tickets/42/topic\""));
    assert!(html.contains("id=\"f-topic-value\" name=\"value\""));
    assert!(!html.contains("/accept"));
    assert!(html.contains("Your move"));

    // Resolved: reopen and close, no reply or resolve.
    let mut d = detail(Status::Resolved);
    d.ticket.solution = Some("Replaced the **toner**.".into());
    let html = render(Lang::En, &d, supporter());
    assert!(html.contains("/reopen") && html.contains("/close"));
    assert!(!html.contains("/t/acme/tickets/42/reply") && !html.contains("/resolve\""));
    assert!(html.contains("<strong>toner</strong>"));

    // Closed: only reopen, note and delete.
    let html = render(Lang::En, &detail(Status::Closed), supporter());
    assert!(html.contains("/reopen") && !html.contains("/close\""));
    assert!(!html.contains("/assign\"") && !html.contains("/priority\""));
}

#[test]
fn the_trash_is_for_tenant_admins() {
    let mut d = detail(Status::Open);
    d.ticket.deleted = Some((at("2025-03-10T11:00:00Z"), SUPPORTER));
    let html = render(Lang::En, &d, admin());
    assert!(html.contains("/restore") && html.contains("/purge"));
    assert!(!html.contains("/reply") && !html.contains("/note?") && !html.contains("/delete"));
    assert!(html.contains("In the trash"));
    let html = render(Lang::De, &d, supporter());
    assert!(!html.contains("/restore") && !html.contains("/purge"));
    assert!(html.contains("Nur ein Mandanten-Administrator"));
}

#[test]
fn customers_reply_to_reopen_and_not_after_closing() {
    let html = render(Lang::En, &detail(Status::Resolved), customer());
    assert!(html.contains("/t/acme/tickets/42/reply\""));
    assert!(html.contains("Your reply opens the request again."));
    let html = render(Lang::En, &detail(Status::Closed), customer());
    assert!(!html.contains("/reply"));
    assert!(!html.contains("sticky-reply"));
    assert!(html.contains("href=\"/t/acme/tickets/new\""));
}

#[test]
fn errors_land_at_their_form_with_the_typed_text() {
    let c = user_ctx(Lang::En, Some(Role::Supporter));
    let mut errors = FormErrors::new();
    errors.add("body", "too_long");
    errors.add("action", "ticket.refused_status");
    let errors = errors.for_form("assign");
    let drafts = TicketDrafts {
        assign: crate::views::tickets::AssignForm {
            assignee: "30".into(),
            note: "please <b>look</b>".into(),
        },
        ..TicketDrafts::default()
    };
    let html = ticket_page_with(
        &c,
        now(),
        &detail(Status::Open),
        supporter(),
        &errors,
        Some("assigned"),
        &drafts,
    )
    .into_string();
    assert!(html.contains("href=\"#f-assign-note\""), "{html}");
    assert!(html.contains("This is not possible in the current status"));
    assert!(html.contains("please &lt;b&gt;look&lt;/b&gt;</textarea>"));
    assert!(html.contains("<option value=\"30\" selected>Ada Admin</option>"));
    assert!(html.contains("The ticket has been assigned."));
    assert_eq!(
        html.matches("class=\"field-error\"").count(),
        1,
        "only the assign form shows it"
    );
}

#[test]
fn whose_move_has_a_text_for_every_status_on_both_sides() {
    for lang in [Lang::En, Lang::De] {
        for role in [Role::Customer, Role::Supporter] {
            let c = user_ctx(lang, Some(role));
            for status in Status::ALL {
                let d = detail(status);
                let html = super::whose_move(&c, now(), &d, role.is_staff()).into_string();
                assert!(
                    !html.contains("ticket.move_"),
                    "{lang:?} {role:?} {status:?}: {html}"
                );
            }
        }
    }
}
