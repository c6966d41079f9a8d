//! poem handlers and middleware. Handlers parse input, call services and render views;
//! they never touch redb directly.

pub mod account;
pub mod admin;
pub mod api;
pub mod api_customers;
pub mod api_problem;
pub mod api_tickets;
pub mod api_tokens;
pub mod assets;
pub mod auth_pages;
pub mod backup;
pub mod ctx;
pub mod health;
pub mod middleware;
pub mod pages;
pub mod password_reset;
pub mod redirect;
pub mod respond;
pub mod session;
pub mod settings;
pub mod tenant;
pub mod tickets;
pub mod uploads;

/// A `next=` target is only followed when it is a path on this site: it must start with a
/// single `/`, and contain no backslash or control character a browser might reinterpret
/// as another origin.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c == '\\' || c.is_control())
        && next.len() <= 2048;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/t/acme/?x=1"), Some("/t/acme/?x=1"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/a\nb",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
