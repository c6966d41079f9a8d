//! The cap on concurrent connections per client address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// Connections open per client address. IPv6 clients are counted per /64, since one
/// machine can pick any address of its network.
#[derive(Clone)]
pub struct PerAddress {
    open: Arc<Mutex<HashMap<IpAddr, Entry>>>,
    max: u32,
}

#[derive(Default)]
struct Entry {
    open: u32,
    /// Set when the cap was hit, so the refusals of one flood are logged once.
    warned: bool,
}

/// One claimed connection; dropping it frees the place.
pub struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, Entry>>>,
    address: IpAddr,
}

impl PerAddress {
    pub fn new(max: u32) -> Self {
        PerAddress {
            open: Arc::default(),
            max,
        }
    }

    /// A place for one more connection from `address`, or `None` when it holds the most
    /// allowed already.
    pub fn claim(&self, address: IpAddr) -> Option<Slot> {
        let address = counted_as(address);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let entry = open.entry(address).or_default();
        if entry.open >= self.max {
            if !entry.warned {
                entry.warned = true;
                tracing::warn!(
                    %address,
                    limit = self.max,
                    "closing new connections from this address: it holds the most allowed (connections.per_address)"
                );
            }
            return None;
        }
        entry.open += 1;
        Some(Slot {
            open: self.open.clone(),
            address,
        })
    }

    #[cfg(test)]
    pub fn open_from(&self, address: IpAddr) -> u32 {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&counted_as(address)).map_or(0, |e| e.open)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = open.get_mut(&self.address) {
            entry.open = entry.open.saturating_sub(1);
            if entry.open == 0 {
                open.remove(&self.address);
            }
        }
    }
}

fn counted_as(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_per_address_and_frees_places_on_drop() {
        let cap = PerAddress::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = cap.claim(a).unwrap();
        let _second = cap.claim(a).unwrap();
        assert!(cap.claim(a).is_none());
        assert!(cap.claim(b).is_some(), "another address is not affected");
        drop(first);
        assert!(cap.claim(a).is_some());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let cap = PerAddress::new(1);
        let _held = cap.claim("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(cap.claim("2001:db8:1:2:ffff::9".parse().unwrap()).is_none());
        assert!(cap.claim("2001:db8:1:3::1".parse().unwrap()).is_some());

        let _v4 = cap.claim("192.0.2.7".parse().unwrap()).unwrap();
        assert!(cap.claim("::ffff:192.0.2.7".parse().unwrap()).is_none());
        assert_eq!(cap.open_from("192.0.2.7".parse().unwrap()), 1);
    }
}
