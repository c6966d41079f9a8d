//! What the scenarios know about the data: tenants, their highest ticket number, priority
//! ids, and pools of tickets in a given status for the write scenarios.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::client::{Client, Person, Role, Target, q};
use crate::drive::Rng;

pub struct Tenant {
    pub slug: String,
    pub max_number: u64,
    pub priorities: Vec<u64>,
}

pub struct World {
    pub target: Target,
    pub tenants: Vec<Tenant>,
    pub warmup: Duration,
    pub duration: Duration,
    pub pid: Option<u32>,
}

/// Search terms that occur in the demo texts (German and English), one or two words.
pub const SEARCH_TERMS: &[&str] = &[
    "Drucker",
    "Lenovo",
    "Passwort abgelaufen",
    "VPN",
    "Fehlermeldung",
    "slow update",
    "network",
    "Outlook",
    "licence",
    "Dockingstation",
    "0x80070005",
    "restart",
    "Monitor flackert",
    "Teams",
];

const SUBJECTS: &[&str] = &[
    "Drucker im 2. OG druckt nur leere Seiten",
    "Laptop startet nach Update nicht mehr",
    "VPN connection drops every few minutes",
    "Outlook asks for my password again and again",
    "New starter needs an account for SAP GUI",
    "Bildschirm flackert an der Dockingstation",
];
const BODIES: &[&str] = &[
    "Seit heute Morgen funktioniert der Drucker nicht mehr. Neustart hat nicht geholfen.\n\nBitte um Rückruf.",
    "Since this morning the device keeps failing. I already restarted it, without success.",
    "Hallo Support,\n\ndas Gerät reagiert nur noch sehr langsam. Kollegen haben das gleiche Problem.",
    "Opening the application shows error 0x80070005. A colleague has the same issue.",
];

/// A realistic new ticket; `extra` is appended to the subject (a probe word).
pub fn new_ticket(rng: &mut Rng, extra: &str) -> Value {
    let subject = format!("{} {extra}", rng.pick(SUBJECTS));
    serde_json::json!({
        "subject": subject.trim(),
        "body": rng.pick(BODIES),
    })
}

pub fn reply_body(rng: &mut Rng) -> Value {
    const REPLIES: &[&str] = &[
        "Danke für Ihre Meldung. Können Sie uns sagen, seit wann der Fehler auftritt?",
        "Please restart the device completely and let us know.",
        "Wir haben die Einstellungen zurückgesetzt. Funktioniert es jetzt?",
    ];
    serde_json::json!({ "body": rng.pick(REPLIES) })
}

fn numbers(v: &Value) -> Vec<(u64, Option<u64>)> {
    v["tickets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| Some((t["number"].as_u64()?, t["priority_id"].as_u64())))
                .collect()
        })
        .unwrap_or_default()
}

/// Ticket numbers from the API list with `query`, following `next` up to `cap` numbers.
pub async fn list_numbers(
    c: &Client,
    slug: &str,
    query: &str,
    cap: usize,
) -> Result<Vec<(u64, Option<u64>)>, String> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let mut path = format!("/api/v1/t/{slug}/tickets?{query}");
        if let Some(a) = &after {
            path.push_str(&format!("&after={}", q(a)));
        }
        let r = c.api_get(&path).await?;
        if r.status != StatusCode::OK {
            return Err(format!("GET {path}: HTTP {}", r.status));
        }
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
        out.extend(numbers(&v));
        after = v["next"].as_str().map(str::to_owned);
        if after.is_none() || out.len() >= cap {
            break;
        }
    }
    out.truncate(cap);
    Ok(out)
}

impl World {
    pub async fn discover(
        target: Target,
        tenant_count: usize,
        warmup: Duration,
        duration: Duration,
        pid: Option<u32>,
    ) -> Result<World, String> {
        let mut tenants = Vec::new();
        for t in 0..tenant_count {
            let c = Client::connect(
                &target,
                Person::nth(t, tenant_count, Role::Supporter),
                false,
                true,
            )
            .await?;
            let slug = c.person.slug.clone();
            let newest = list_numbers(&c, &slug, "sort=number&dir=desc", 1).await?;
            let max_number = newest.first().map(|n| n.0).unwrap_or(0);
            let mut priorities: Vec<u64> = list_numbers(&c, &slug, "status=open", 200)
                .await?
                .into_iter()
                .filter_map(|(_, p)| p)
                .collect();
            priorities.sort_unstable();
            priorities.dedup();
            tenants.push(Tenant {
                slug,
                max_number,
                priorities,
            });
        }
        Ok(World {
            target,
            tenants,
            warmup,
            duration,
            pid,
        })
    }

    pub fn tenant(&self, slug: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.slug == slug)
    }

    pub async fn clients(
        &self,
        n: usize,
        role: Role,
        session: bool,
        token: bool,
    ) -> Result<Vec<Client>, String> {
        let mut handles = Vec::new();
        for i in 0..n {
            let target = self.target.clone();
            let person = Person::nth(i, self.tenants.len(), role);
            handles.push(tokio::spawn(async move {
                Client::connect(&target, person, session, token).await
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.map_err(|e| e.to_string())??);
        }
        self.target.cache.save().await;
        Ok(out)
    }
}

/// Ticket numbers per tenant slug, taken (accept) or picked at random (reply).
#[derive(Clone, Default)]
pub struct Pools {
    pub by_slug: Arc<Vec<(String, Mutex<Vec<u64>>)>>,
}

impl Pools {
    pub async fn gather(
        world: &World,
        supporters: &[Client],
        statuses: &[&str],
        cap: usize,
    ) -> Result<Pools, String> {
        let mut out = Vec::new();
        for t in &world.tenants {
            let Some(c) = supporters.iter().find(|c| c.person.slug == t.slug) else {
                continue;
            };
            let mut nums = Vec::new();
            for s in statuses {
                let query = format!("status={s}&sort=number&dir=desc");
                nums.extend(
                    list_numbers(c, &t.slug, &query, cap)
                        .await?
                        .into_iter()
                        .map(|n| n.0),
                );
            }
            out.push((t.slug.clone(), Mutex::new(nums)));
        }
        Ok(Pools {
            by_slug: Arc::new(out),
        })
    }

    fn pool(&self, slug: &str) -> Option<&Mutex<Vec<u64>>> {
        self.by_slug.iter().find(|(s, _)| s == slug).map(|(_, p)| p)
    }

    pub fn take(&self, slug: &str) -> Option<u64> {
        self.pool(slug)?.lock().ok()?.pop()
    }

    pub fn pick(&self, slug: &str, rng: &mut Rng) -> Option<u64> {
        let p = self.pool(slug)?.lock().ok()?;
        if p.is_empty() {
            None
        } else {
            Some(p[rng.below(p.len() as u64) as usize])
        }
    }

    pub fn total(&self) -> usize {
        self.by_slug
            .iter()
            .map(|(_, p)| p.lock().map(|p| p.len()).unwrap_or(0))
            .sum()
    }
}
