//! `supportbox demo-data`: fills a data directory with realistic tickets in German and
//! English, in every status, with replies, internal notes and attachments, through the
//! store layer in large transactions (fast enough for the million-ticket benchmark).

use jiff::{SignedDuration, Timestamp};

use super::admin::create_tenant_in;
use super::{ServiceResult, passwords};
use crate::blobs::BlobStore;
use crate::domain::accounts::Membership;
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::role::Role;
use crate::domain::ticket::{
    Attachment, Change, HistoryEntry, Message, Status, Ticket, Visibility,
};
use crate::store::accounts::{self as store_accounts, NewAccount};
use crate::store::tickets::{self as store_tickets, TicketIndexKeys};
use crate::store::{Store, StoreError, catalog as store_catalog, tenants as store_tenants};

/// Tickets written per transaction.
const BATCH: usize = 2_000;
const CUSTOMERS_PER_TENANT: usize = 40;
const SUPPORTERS_PER_TENANT: usize = 4;

/// A small deterministic generator: the same seed gives the same demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: plenty for picking sample texts.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of two lists (German or English), then one of its texts.
    fn text(&mut self, german: bool, de: &[&'static str], en: &[&'static str]) -> &'static str {
        let list = if german { de } else { en };
        list[self.below(list.len())]
    }
}

const DEVICES: &[&str] = &[
    "Laptop Lenovo T14",
    "Drucker HP LaserJet M404",
    "Dockingstation",
    "Monitor Dell U2722",
    "iPhone 14",
    "Scanner Fujitsu fi-7160",
    "WLAN-Access-Point 2. OG",
    "VPN-Client",
    "Outlook",
    "SAP GUI",
    "Teams",
    "Firewall",
    "NAS Synology",
    "Telefonanlage",
    "Beamer Raum 3.14",
    "Headset Jabra Evolve",
];

const SUBJECTS_DE: &[&str] = &[
    "{d} startet nicht mehr",
    "{d} druckt nur leere Seiten",
    "Kein Zugriff auf {d}",
    "{d} sehr langsam seit dem Update",
    "Passwort für {d} abgelaufen",
    "{d} zeigt Fehlermeldung 0x80070005",
    "Neuer Mitarbeiter braucht {d}",
    "{d} verbindet sich nicht mit dem Netzwerk",
    "Bildschirm flackert bei {d}",
    "{d}: Lizenz abgelaufen",
];
const SUBJECTS_EN: &[&str] = &[
    "{d} does not start",
    "{d} prints blank pages",
    "Cannot access {d}",
    "{d} very slow since the update",
    "Password for {d} expired",
    "{d} shows error 0x80070005",
    "New starter needs {d}",
    "{d} will not connect to the network",
    "Screen flickers on {d}",
    "{d}: licence expired",
];
const BODIES_DE: &[&str] = &[
    "Seit heute Morgen funktioniert **{d}** nicht mehr. Ich habe bereits neu gestartet, ohne Erfolg.\n\nKönnen Sie bitte helfen?",
    "Beim Öffnen von {d} erscheint eine Fehlermeldung. Ein Screenshot ist angehängt.\n\n- Gerät: {d}\n- Raum: 2.17",
    "Hallo Support,\n\n{d} reagiert nur noch sehr langsam. Andere Kollegen haben das gleiche Problem.",
    "Ich benötige dringend Zugriff auf {d}, da ich morgen eine Präsentation habe.",
];
const BODIES_EN: &[&str] = &[
    "Since this morning **{d}** has stopped working. I already restarted it, without success.\n\nCould you please help?",
    "Opening {d} shows an error message. A screenshot is attached.\n\n- Device: {d}\n- Room: 2.17",
    "Hi support,\n\n{d} has become very slow. Colleagues see the same problem.",
    "I urgently need access to {d} because I have a presentation tomorrow.",
];
const REPLIES_STAFF_DE: &[&str] = &[
    "Danke für Ihre Meldung. Können Sie uns sagen, seit wann genau der Fehler auftritt?",
    "Bitte starten Sie das Gerät einmal komplett neu und melden Sie sich dann wieder.",
    "Wir haben die Einstellungen zurückgesetzt. Funktioniert es jetzt?",
];
const REPLIES_STAFF_EN: &[&str] = &[
    "Thanks for reporting. Can you tell us when exactly the problem started?",
    "Please restart the device completely and let us know.",
    "We have reset the settings. Does it work now?",
];
const REPLIES_CUSTOMER_DE: &[&str] = &[
    "Seit gestern Nachmittag.",
    "Ja, jetzt geht es wieder. Vielen Dank!",
    "Leider besteht das Problem weiterhin.",
];
const REPLIES_CUSTOMER_EN: &[&str] = &[
    "Since yesterday afternoon.",
    "Yes, it works again. Thank you!",
    "Unfortunately the problem persists.",
];
const NOTES_DE: &[&str] = &[
    "Treiber-Problem, bekannt seit Version 4.2.",
    "Gerät ist noch in der Garantie – ggf. Austausch beim Hersteller.",
];
const NOTES_EN: &[&str] = &[
    "Driver issue, known since version 4.2.",
    "Device still under warranty – consider a replacement.",
];
const SOLUTIONS_DE: &[&str] = &[
    "Treiber aktualisiert, Gerät funktioniert wieder.",
    "Passwort zurückgesetzt und Zugang geprüft.",
];
const SOLUTIONS_EN: &[&str] = &[
    "Driver updated, the device works again.",
    "Password reset and access checked.",
];
const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Klara",
    "Lukas", "Mia", "Noah", "Olivia", "Paul",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
];
const TOPICS: &[(&str, &str)] = &[
    (
        "Hardware",
        "Geräte, Drucker, Monitore / devices, printers, screens",
    ),
    (
        "Software",
        "Programme und Lizenzen / applications and licences",
    ),
    ("Netzwerk / Network", "WLAN, VPN, Internet"),
    (
        "Zugang / Access",
        "Passwörter, Berechtigungen / passwords, permissions",
    ),
    (
        "Verbesserungsvorschlag / Improvement suggestion",
        "Ideen für besseren Support / ideas",
    ),
];

/// A tiny PNG (1×1 pixel), stored once and attached to some tickets as a "screenshot".
const SCREENSHOT_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// What `demo-data` created, for the printed sign-in details.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub password: String,
    /// (tenant slug, admin email, supporter email, customer email)
    pub tenants: Vec<(String, String, String, String)>,
    pub operator_email: Option<String>,
    pub tickets: u64,
}

struct TenantPeople {
    id: TenantId,
    staff: Vec<(AccountId, String)>,
    customers: Vec<(AccountId, String)>,
    priorities: Vec<(PriorityId, u32)>,
    topics: Vec<TopicId>,
}

fn fill(template: &str, device: &str) -> String {
    template.replace("{d}", device)
}

/// Creates `tenants` new tenants (slugs `demo-1`, `demo-2`, … after existing ones) with
/// people and `tickets_per_tenant` tickets each. Blocking; run it off async threads.
pub fn generate(
    store: &Store,
    blobs: &BlobStore,
    tenants: usize,
    tickets_per_tenant: u64,
    now: Timestamp,
) -> ServiceResult<DemoSummary> {
    let (password, _) = super::new_secret();
    let password = format!("demo-{}", &password[..12]);
    let hash = passwords::hash_blocking(&password)?;
    let screenshot = blobs.ingest_blocking(SCREENSHOT_PNG, 1024)?;
    let shot = Attachment {
        hash: screenshot.hash,
        name: "screenshot.png".to_owned(),
        mime: screenshot.mime,
        size: screenshot.size,
    };
    let mut rng = Rng(0x5EED_0000_0000_0001);
    let mut summary = DemoSummary {
        password: password.clone(),
        tenants: Vec::new(),
        operator_email: None,
        tickets: 0,
    };
    if !store.read_blocking(store_accounts::any_operator)? {
        let email = "operator@demo.example".to_owned();
        let h = hash.clone();
        let e = email.clone();
        store.write_blocking(move |w| {
            store_accounts::create_account(w, new_account(&e, "Demo Operator", &h, true), now)
                .map(|_| ())
        })?;
        summary.operator_email = Some(email);
    }
    let existing = store.read_blocking(store_tenants::list_tenants)?.len();
    for n in 0..tenants {
        let index = existing + n + 1;
        let people = create_people(store, &hash, index, now)?;
        summary.tenants.push((
            format!("demo-{index}"),
            people.staff[0].1.clone(),
            people.staff[1].1.clone(),
            people.customers[0].1.clone(),
        ));
        let mut made = 0u64;
        while made < tickets_per_tenant {
            let count = (tickets_per_tenant - made).min(BATCH as u64);
            let batch: Vec<DemoTicket> = (0..count)
                .map(|i| plan_ticket(&mut rng, &people, made + i, tickets_per_tenant, now, &shot))
                .collect();
            let tenant = people.id;
            store.write_blocking(move |w| {
                for t in &batch {
                    write_ticket(w, tenant, t)?;
                }
                Ok(())
            })?;
            made += count;
        }
        summary.tickets += made;
    }
    Ok(summary)
}

fn new_account(email: &str, name: &str, hash: &str, operator: bool) -> NewAccount {
    NewAccount {
        phone: "+49 30 1234567".to_owned(),
        operator,
        ..NewAccount::person(email.to_owned(), name.to_owned(), hash.to_owned())
    }
}

fn create_people(
    store: &Store,
    hash: &str,
    index: usize,
    now: Timestamp,
) -> ServiceResult<TenantPeople> {
    let hash = hash.to_owned();
    Ok(store.write_blocking(move |w| {
        let tenant = create_tenant_in(
            w,
            &format!("demo-{index}"),
            &format!("Demo IT {index}"),
            50,
            now,
        )?;
        let mut staff = Vec::new();
        let mut customers = Vec::new();
        let add = |email: String,
                   name: String,
                   role: Role|
         -> Result<(AccountId, String), StoreError> {
            let account =
                store_accounts::create_account(w, new_account(&email, &name, &hash, false), now)?;
            store_accounts::put_membership(
                w,
                &Membership {
                    tenant: tenant.id,
                    account: account.id,
                    role,
                    disabled: false,
                    created_at: now,
                },
            )?;
            Ok((account.id, email))
        };
        staff.push(add(
            format!("admin@demo-{index}.example"),
            format!("Admin {index}"),
            Role::TenantAdmin,
        )?);
        for s in 0..SUPPORTERS_PER_TENANT {
            staff.push(add(
                format!("support{}@demo-{index}.example", s + 1),
                format!("{} {}", FIRST[s % FIRST.len()], LAST[(s + 3) % LAST.len()]),
                Role::Supporter,
            )?);
        }
        for c in 0..CUSTOMERS_PER_TENANT {
            let name = format!(
                "{} {}",
                FIRST[c % FIRST.len()],
                LAST[(c / FIRST.len() + c) % LAST.len()]
            );
            customers.push(add(
                format!("user{}@demo-{index}.example", c + 1),
                name,
                Role::Customer,
            )?);
        }
        let mut topics = Vec::new();
        for (name, description) in TOPICS {
            topics.push(store_catalog::create_topic(w, tenant.id, name, description)?.id);
        }
        let priorities = store_catalog::list_priorities(w, tenant.id)?
            .into_iter()
            .map(|p| (p.id, p.rank))
            .collect();
        Ok(TenantPeople {
            id: tenant.id,
            staff,
            customers,
            priorities,
            topics,
        })
    })?)
}

/// One planned ticket with its thread, decided before the write transaction (so a
/// retried transaction writes the same thing).
struct DemoTicket {
    ticket: Ticket,
    customer_name: String,
    rank: u32,
    messages: Vec<Message>,
    history: Vec<HistoryEntry>,
}

fn plan_ticket(
    rng: &mut Rng,
    p: &TenantPeople,
    i: u64,
    total: u64,
    now: Timestamp,
    shot: &Attachment,
) -> DemoTicket {
    let german = rng.below(2) == 0;
    let device = *rng.pick(DEVICES);
    let subject = fill(rng.text(german, SUBJECTS_DE, SUBJECTS_EN), device);
    let body = fill(rng.text(german, BODIES_DE, BODIES_EN), device);
    let customer_idx = rng.below(p.customers.len());
    let (customer, _) = p.customers[customer_idx];
    let customer_name = format!(
        "{} {}",
        FIRST[customer_idx % FIRST.len()],
        LAST[(customer_idx / FIRST.len() + customer_idx) % LAST.len()]
    );
    let supporter = p.staff[1 + rng.below(p.staff.len() - 1)].0;
    // Older tickets were created earlier; most old ones are closed, as in a real helpdesk.
    let age_minutes = ((total - i) * 37 % (365 * 24 * 60)) as i64 + rng.below(60) as i64;
    let created = now
        .checked_sub(SignedDuration::from_mins(age_minutes))
        .unwrap_or(now);
    let roll = rng.below(100);
    let recent = i + 2_000 > total;
    let status = match (recent, roll) {
        (true, 0..=19) => Status::New,
        (true, 20..=39) => Status::Open,
        (true, 40..=59) => Status::Waiting,
        (true, 60..=79) => Status::Resolved,
        (false, 0..=1) => Status::New,
        (false, 2..=4) => Status::Open,
        (false, 5..=7) => Status::Waiting,
        (false, 8..=14) => Status::Resolved,
        _ => Status::Closed,
    };
    let (priority, rank) = if status == Status::New {
        (None, u32::MAX)
    } else {
        let (id, rank) = *rng.pick(&p.priorities);
        (Some(id), rank)
    };
    let with_shot = rng.below(5) == 0;
    let step = |n: i64| {
        created
            .checked_add(SignedDuration::from_mins(n * 17))
            .unwrap_or(created)
    };
    let mut messages = vec![msg(
        p.id,
        customer,
        Visibility::Public,
        &body,
        if with_shot {
            vec![shot.clone()]
        } else {
            Vec::new()
        },
        created,
    )];
    let mut history = vec![hist(
        p.id,
        created,
        customer,
        Change::Created { on_behalf: false },
    )];
    if status != Status::New {
        history.push(hist(
            p.id,
            step(1),
            supporter,
            Change::Accepted {
                assignee: supporter,
                priority: priority.unwrap_or(PriorityId(1)),
            },
        ));
        if rng.below(3) == 0 {
            messages.push(msg(
                p.id,
                supporter,
                Visibility::Internal,
                rng.text(german, NOTES_DE, NOTES_EN),
                Vec::new(),
                step(2),
            ));
        }
    }
    if matches!(status, Status::Waiting | Status::Resolved | Status::Closed) {
        messages.push(msg(
            p.id,
            supporter,
            Visibility::Public,
            rng.text(german, REPLIES_STAFF_DE, REPLIES_STAFF_EN),
            Vec::new(),
            step(3),
        ));
    }
    if matches!(status, Status::Resolved | Status::Closed) {
        messages.push(msg(
            p.id,
            customer,
            Visibility::Public,
            rng.text(german, REPLIES_CUSTOMER_DE, REPLIES_CUSTOMER_EN),
            Vec::new(),
            step(4),
        ));
    }
    let solution = matches!(status, Status::Resolved | Status::Closed)
        .then(|| rng.text(german, SOLUTIONS_DE, SOLUTIONS_EN).to_string());
    if let Some(s) = &solution {
        messages.push(msg(
            p.id,
            supporter,
            Visibility::Public,
            s,
            Vec::new(),
            step(5),
        ));
        history.push(hist(p.id, step(5), supporter, Change::Resolved));
    }
    if status == Status::Closed {
        history.push(hist(p.id, step(6), supporter, Change::Closed));
    }
    let updated = messages.last().map(|m| m.created_at).unwrap_or(created);
    let ticket = Ticket {
        tenant: p.id,
        number: 0,
        subject,
        body,
        customer,
        created_by: customer,
        assignee: (status != Status::New).then_some(supporter),
        priority,
        topic: Some(*rng.pick(&p.topics)),
        status,
        created_at: created,
        updated_at: updated,
        waiting_since: updated,
        solution,
        deleted: None,
        message_count: messages.len() as u32,
        attachment_count: u32::from(with_shot),
    };
    DemoTicket {
        ticket,
        customer_name,
        rank,
        messages,
        history,
    }
}

fn msg(
    tenant: TenantId,
    author: AccountId,
    visibility: Visibility,
    body: &str,
    attachments: Vec<Attachment>,
    at: Timestamp,
) -> Message {
    Message {
        tenant,
        ticket: 0,
        seq: 0,
        author,
        visibility,
        body: body.to_owned(),
        attachments,
        created_at: at,
    }
}

fn hist(tenant: TenantId, at: Timestamp, actor: AccountId, change: Change) -> HistoryEntry {
    HistoryEntry {
        tenant,
        ticket: 0,
        seq: 0,
        at,
        actor,
        change,
    }
}

fn write_ticket(
    w: &crate::store::WriteTx,
    tenant: TenantId,
    t: &DemoTicket,
) -> Result<(), StoreError> {
    let keys = TicketIndexKeys {
        priority_rank: t.rank,
        customer_name: t.customer_name.clone(),
    };
    let ticket = store_tickets::create_ticket(w, &t.ticket, &keys)?;
    for m in &t.messages {
        store_tickets::add_message(
            w,
            &Message {
                tenant,
                ticket: ticket.number,
                ..m.clone()
            },
        )?;
    }
    for h in &t.history {
        store_tickets::add_history(
            w,
            &HistoryEntry {
                tenant,
                ticket: ticket.number,
                ..h.clone()
            },
        )?;
    }
    Ok(())
}
