//! The responsive list table of docs/ui.md ("Phone layout"): a scrollable wrapper around a
//! table whose every cell carries its column's label in `data-label`, so that on a phone the
//! stylesheet shows each row as a card of "label: value" lines. Every list page builds its
//! table here, so the markup and its accessibility (column and row headers) stay one.

use maud::{Markup, html};

/// One column: its label is the header text and every cell's `data-label`.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    pub label: &'a str,
    /// The header is read out by screen readers but not shown (a column of buttons).
    pub hidden: bool,
}

pub fn col(label: &str) -> Column<'_> {
    Column {
        label,
        hidden: false,
    }
}

/// A column whose header only screen readers see.
pub fn hidden_col(label: &str) -> Column<'_> {
    Column {
        label,
        hidden: true,
    }
}

/// One cell of a row. A row's `Heading` cell names the row for screen readers.
pub enum Cell {
    Heading(Markup),
    Data(Markup),
    /// A data cell with a class of its own (a column styled apart, like `td.agent`).
    DataClass(&'static str, Markup),
}

/// One row: its cells in column order, and an optional class (a highlighted row).
pub struct Row {
    pub class: Option<&'static str>,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { class: None, cells }
    }

    /// Adds `class` when `on` holds.
    pub fn class_if(mut self, on: bool, class: &'static str) -> Row {
        if on {
            self.class = Some(class);
        }
        self
    }
}

/// The table; `class` is added next to `responsive` (for example `audit`).
pub fn responsive_table(
    class: Option<&str>,
    columns: &[Column<'_>],
    rows: impl IntoIterator<Item = Row>,
) -> Markup {
    let class = match class {
        Some(extra) => format!("responsive {extra}"),
        None => "responsive".to_owned(),
    };
    html! {
        div.table-wrap {
            table class=(class) {
                thead { tr {
                    @for c in columns {
                        th scope="col" {
                            @if c.hidden { span.visually-hidden { (c.label) } } @else { (c.label) }
                        }
                    }
                } }
                tbody {
                    @for row in rows {
                        tr class=[row.class] {
                            @for (c, cell) in columns.iter().zip(row.cells) {
                                @match cell {
                                    Cell::Heading(m) => th scope="row" data-label=(c.label) { (m) },
                                    Cell::Data(m) => td data-label=(c.label) { (m) },
                                    Cell::DataClass(class, m) => td class=(class) data-label=(c.label) { (m) },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_carry_their_column_label_and_rows_their_header() {
        let html = responsive_table(
            Some("audit"),
            &[col("Name"), hidden_col("Action")],
            [
                Row::new(vec![
                    Cell::Heading(html! { "Ada" }),
                    Cell::Data(html! { "x" }),
                ])
                .class_if(true, "warn-row"),
                Row::new(vec![
                    Cell::Heading(html! { "Bo" }),
                    Cell::Data(html! { "y" }),
                ]),
            ],
        )
        .into_string();
        assert!(html.starts_with(r#"<div class="table-wrap"><table class="responsive audit">"#));
        assert!(html.contains(r#"<th scope="col">Name</th>"#));
        assert!(
            html.contains(r#"<th scope="col"><span class="visually-hidden">Action</span></th>"#)
        );
        assert!(html.contains(r#"<tr class="warn-row"><th scope="row" data-label="Name">Ada</th><td data-label="Action">x</td></tr>"#));
        assert!(html.contains(r#"<tr><th scope="row" data-label="Name">Bo</th>"#));
    }

    #[test]
    fn a_data_cell_may_carry_a_class() {
        let html = responsive_table(
            None,
            &[col("Seen"), col("Agent")],
            [Row::new(vec![
                Cell::Data(html! { "now" }),
                Cell::DataClass("agent", html! { "Firefox" }),
            ])],
        )
        .into_string();
        assert!(html.starts_with(r#"<div class="table-wrap"><table class="responsive">"#));
        assert!(html.contains(r#"<tr><td data-label="Seen">now</td><td class="agent" data-label="Agent">Firefox</td></tr>"#));
    }
}
