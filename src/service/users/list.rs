//! The member list a tenant admin pages through: search, filters by role and state, a sort
//! order, and pages of [`PAGE_SIZE`] continued after the last member shown (a keyset: the
//! next page starts after that member, so a member added meanwhile shifts nothing).

use super::super::{ServiceResult, Services};
use super::Member;
use crate::domain::caller::Caller;
use crate::domain::ids::AccountId;
use crate::domain::role::Role;

/// Members per page: a phone shows a page of compact cards without endless scrolling.
pub const PAGE_SIZE: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberSort {
    #[default]
    Name,
    Email,
    Role,
    /// Newest membership first.
    Joined,
}

impl MemberSort {
    pub const ALL: [MemberSort; 4] = [
        MemberSort::Name,
        MemberSort::Email,
        MemberSort::Role,
        MemberSort::Joined,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MemberSort::Name => "name",
            MemberSort::Email => "email",
            MemberSort::Role => "role",
            MemberSort::Joined => "joined",
        }
    }

    /// Unknown values fall back to the default order rather than failing the page.
    pub fn parse(code: &str) -> MemberSort {
        MemberSort::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or_default()
    }
}

/// What the admin asked the list for.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub query: String,
    pub role: Option<Role>,
    /// `Some(true)`: disabled members only; `Some(false)`: enabled ones only.
    pub disabled: Option<bool>,
    pub sort: MemberSort,
    /// Continue after this member (the last one of the previous page).
    pub after: Option<AccountId>,
}

/// One page of the list.
#[derive(Debug, Clone)]
pub struct MemberPage {
    pub members: Vec<Member>,
    /// Where the next page starts, if there is one.
    pub next: Option<AccountId>,
    /// Members matching the filter, over all pages.
    pub total: usize,
}

fn order(sort: MemberSort, a: &Member, b: &Member) -> std::cmp::Ordering {
    let name = |m: &Member| m.account.name.to_lowercase();
    let by = match sort {
        MemberSort::Name => name(a).cmp(&name(b)),
        MemberSort::Email => a.account.email.cmp(&b.account.email),
        MemberSort::Role => b
            .membership
            .role
            .is_tenant_admin()
            .cmp(&a.membership.role.is_tenant_admin())
            .then(
                b.membership
                    .role
                    .is_staff()
                    .cmp(&a.membership.role.is_staff()),
            )
            .then_with(|| name(a).cmp(&name(b))),
        MemberSort::Joined => b.membership.created_at.cmp(&a.membership.created_at),
    };
    // The account id breaks ties, so every member has one place and the keyset is exact.
    by.then(a.account.id.cmp(&b.account.id))
}

/// Applies the filter, the order and the page to the members found by the search.
pub fn page(mut members: Vec<Member>, filter: &MemberFilter) -> MemberPage {
    members.retain(|m| {
        filter.role.is_none_or(|r| m.membership.role == r)
            && filter.disabled.is_none_or(|d| m.membership.disabled == d)
    });
    members.sort_by(|a, b| order(filter.sort, a, b));
    let total = members.len();
    let start = filter
        .after
        .and_then(|after| members.iter().position(|m| m.account.id == after))
        .map_or(0, |at| at + 1);
    let rest: Vec<Member> = members.into_iter().skip(start).collect();
    let next = (rest.len() > PAGE_SIZE).then(|| rest[PAGE_SIZE - 1].account.id);
    MemberPage {
        members: rest.into_iter().take(PAGE_SIZE).collect(),
        next,
        total,
    }
}

impl Services {
    /// One page of the caller's members (tenant admins).
    pub async fn member_page(
        &self,
        caller: &Caller,
        filter: &MemberFilter,
    ) -> ServiceResult<MemberPage> {
        let members = self.list_members(caller, &filter.query).await?;
        Ok(page(members, filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::accounts::{Account, Membership};
    use crate::domain::ids::TenantId;

    fn member(id: u64, name: &str, role: Role, disabled: bool) -> Member {
        let at = jiff::Timestamp::from_second(id as i64).unwrap();
        Member {
            account: Account {
                id: AccountId(id),
                email: format!("{}@example.org", name.to_lowercase()),
                name: name.to_owned(),
                phone: String::new(),
                lang: None,
                password_hash: String::new(),
                must_change_password: false,
                operator: false,
                created_at: at,
            },
            membership: Membership {
                tenant: TenantId(1),
                account: AccountId(id),
                role,
                disabled,
                created_at: at,
            },
            online: false,
        }
    }

    fn names(p: &MemberPage) -> Vec<&str> {
        p.members.iter().map(|m| m.account.name.as_str()).collect()
    }

    #[test]
    fn pages_continue_after_the_last_member_shown_and_filters_narrow() {
        let all: Vec<Member> = (1..=60)
            .map(|i| member(i, &format!("Person {i:02}"), Role::Customer, i % 10 == 0))
            .chain([member(61, "Alma", Role::TenantAdmin, false)])
            .collect();
        let first = page(all.clone(), &MemberFilter::default());
        assert_eq!(first.total, 61);
        assert_eq!(first.members.len(), PAGE_SIZE);
        assert_eq!(names(&first)[0], "Alma");
        let second = page(
            all.clone(),
            &MemberFilter {
                after: first.next,
                ..MemberFilter::default()
            },
        );
        assert_eq!(names(&second)[0], "Person 25");
        let third = page(
            all.clone(),
            &MemberFilter {
                after: second.next,
                ..MemberFilter::default()
            },
        );
        assert_eq!(third.members.len(), 11);
        assert_eq!(third.next, None);

        let disabled = page(
            all.clone(),
            &MemberFilter {
                disabled: Some(true),
                ..MemberFilter::default()
            },
        );
        assert_eq!(disabled.total, 6);
        let admins = page(
            all.clone(),
            &MemberFilter {
                role: Some(Role::TenantAdmin),
                ..MemberFilter::default()
            },
        );
        assert_eq!(names(&admins), ["Alma"]);
        let newest = page(
            all,
            &MemberFilter {
                sort: MemberSort::Joined,
                ..MemberFilter::default()
            },
        );
        assert_eq!(names(&newest)[0], "Alma");
        assert_eq!(MemberSort::parse("nonsense"), MemberSort::Name);
    }
}
