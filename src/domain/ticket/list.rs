//! How ticket lists are ordered: the supporter tabs and the columns of ticket management.
//! The store keeps an index per order (docs/storage.md, "Ticket indexes and counts").

/// The order of a supporter tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TabOrder {
    /// Longest waiting first.
    Hot,
    /// Most urgent priority first, then longest waiting.
    Priority,
    /// Newest ticket first.
    Newest,
}

/// The column ticket management sorts by; ties go by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    #[default]
    Number,
    Created,
    Updated,
    /// The customer's name, ignoring case.
    Customer,
    /// In `Status::as_u8` order (new, open, waiting, resolved, closed).
    Status,
    /// Most urgent first when ascending.
    Priority,
}
