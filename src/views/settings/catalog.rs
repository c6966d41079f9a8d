//! Priorities and topics: a table with an edit form per row, a delete button, and a form
//! to add one. Errors of an edit form name the row's id with `FormErrors::for_form`; all
//! other errors belong to the add form.

use maud::{Markup, html};

use super::subnav;
use crate::domain::catalog::{Priority, Topic};
use crate::views::data::{PriorityForm, TopicForm};
use crate::views::forms::{
    FieldOpts, FormErrors, InputKind, action_button, checkbox_in, csrf_field, error_summary_in,
    field_with, textarea_with,
};
use crate::views::parts::{Tone, empty, priority_chip, status_badge, tenant_base};
use crate::views::table::{Cell, Row, col, responsive_table};
use crate::views::{PageCtx, layout};

/// Which form on the page shows the submitted values and errors.
fn edited_row(errors: &FormErrors) -> Option<&str> {
    errors
        .target()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
}

fn target_text(ctx: &PageCtx, minutes: Option<u32>) -> String {
    match minutes {
        None => ctx.t("priorities.no_target").to_owned(),
        Some(m) if m >= 60 && m % 60 == 0 => {
            ctx.tf("priorities.target_hours", &[("n", &(m / 60).to_string())])
        }
        Some(m) => ctx.tf("priorities.target_minutes", &[("n", &m.to_string())]),
    }
}

fn priority_fields(ctx: &PageCtx, errors: &FormErrors, v: &PriorityForm, form: &str) -> Markup {
    let colour = if v.colour.is_empty() {
        "#1f5fbf"
    } else {
        v.colour.as_str()
    };
    let req = FieldOpts {
        form,
        required: true,
        hint_key: None,
    };
    html! {
        div.field-row {
            (field_with(ctx, errors, "name", InputKind::Text, &v.name, req))
            (field_with(ctx, errors, "colour", InputKind::Color, colour, req))
            (field_with(ctx, errors, "rank", InputKind::Number, &v.rank,
                FieldOpts { hint_key: Some("hint.rank"), ..req }))
            (field_with(ctx, errors, "response_target_minutes", InputKind::Number, &v.response_target_minutes,
                FieldOpts { form, required: false, hint_key: Some("hint.response_target") }))
        }
    }
}

/// The tenant's priorities, most urgent first.
pub fn priorities(
    ctx: &PageCtx,
    list: &[Priority],
    v: &PriorityForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("priorities.title");
    let base = format!("{}/settings/priorities", tenant_base(ctx));
    let none = FormErrors::new();
    let edited = edited_row(errors);
    let mut sorted: Vec<&Priority> = list.iter().collect();
    sorted.sort_by_key(|p| (p.rank, p.name.to_lowercase()));
    let next_rank = list
        .iter()
        .map(|p| p.rank)
        .max()
        .map(|r| r.saturating_add(1))
        .unwrap_or(1);
    let add_value = if edited.is_none() {
        let mut add = v.clone();
        if add.rank.is_empty() && errors.is_empty() {
            add.rank = next_rank.to_string();
        }
        add
    } else {
        PriorityForm {
            rank: next_rank.to_string(),
            ..PriorityForm::default()
        }
    };
    let col_name = ctx.t("priorities.col_name");
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "priorities"),
        html! {
            p.lead { (ctx.t("priorities.lead")) }
            @if sorted.is_empty() {
                (empty(ctx.t("priorities.empty")))
            } @else {
                (responsive_table(
                    None,
                    &[col(ctx.t("priorities.col_rank")), col(col_name), col(ctx.t("priorities.col_target")), col(ctx.t("table.actions"))],
                    sorted.iter().map(|p| {
                        let id = p.id.to_string();
                        let form = format!("p{id}");
                        let this = edited == Some(id.as_str());
                        let values = if this { v.clone() } else { PriorityForm::from(*p) };
                        let row_errors = if this { errors } else { &none };
                        Row::new(vec![
                            Cell::Data(html! { (p.rank) }),
                            Cell::Heading(priority_chip(&p.name, &p.colour)),
                            Cell::Data(html! { (target_text(ctx, p.response_target_minutes)) }),
                            Cell::Data(html! {
                                details.row-edit open[this] {
                                    summary { (ctx.t("form.edit")) span.visually-hidden { ": " (p.name) } }
                                    (error_summary_in(ctx, row_errors, &form))
                                    form method="post" action={ (base) "/" (id) } {
                                        (csrf_field(ctx))
                                        (priority_fields(ctx, row_errors, &values, &form))
                                        div.actions { button type="submit" { (ctx.t("form.save")) } }
                                    }
                                }
                                (action_button(ctx, &format!("{base}/{id}/delete"), ctx.t("form.delete"), true))
                            }),
                        ])
                    }),
                ))
            }
            section.card #add aria-labelledby="add-title" {
                h2 #add-title { (ctx.t("priorities.add_title")) }
                @let add_errors = if edited.is_none() { errors } else { &none };
                (error_summary_in(ctx, add_errors, "add"))
                form method="post" action=(base) {
                    (csrf_field(ctx))
                    (priority_fields(ctx, add_errors, &add_value, "add"))
                    div.actions { button type="submit" { (ctx.t("priorities.add_button")) } }
                }
            }
        },
    )
}

fn topic_fields(
    ctx: &PageCtx,
    errors: &FormErrors,
    v: &TopicForm,
    active: bool,
    form: &str,
) -> Markup {
    html! {
        (field_with(ctx, errors, "name", InputKind::Text, &v.name,
            FieldOpts { form, required: true, hint_key: None }))
        (textarea_with(ctx, errors, "description", &v.description, 3,
            FieldOpts { form, ..FieldOpts::default() }))
        (checkbox_in(ctx, "active", active, form))
    }
}

/// The tenant's topics; deleted ones are listed apart, since old assignments still show them.
pub fn topics(
    ctx: &PageCtx,
    list: &[Topic],
    v: &TopicForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("topics.title");
    let base = format!("{}/settings/topics", tenant_base(ctx));
    let none = FormErrors::new();
    let edited = edited_row(errors);
    let mut current: Vec<&Topic> = list.iter().filter(|t| !t.deleted).collect();
    current.sort_by_key(|t| t.name.to_lowercase());
    let deleted: Vec<&Topic> = list.iter().filter(|t| t.deleted).collect();
    // A fresh add form proposes an active topic; after an error it keeps what was ticked.
    let add_errors = if edited.is_none() { errors } else { &none };
    let (add_value, add_active) = if add_errors.is_empty() {
        (
            if edited.is_none() {
                v.clone()
            } else {
                TopicForm::default()
            },
            true,
        )
    } else {
        (v.clone(), v.active.is_some())
    };
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "topics"),
        html! {
            p.lead { (ctx.t("topics.lead")) }
            @if current.is_empty() {
                (empty(ctx.t("topics.empty")))
            } @else {
                (responsive_table(
                    None,
                    &[col(ctx.t("topics.col_name")), col(ctx.t("topics.col_description")), col(ctx.t("topics.col_status")), col(ctx.t("table.actions"))],
                    current.iter().map(|t| {
                        let id = t.id.to_string();
                        let form = format!("t{id}");
                        let this = edited == Some(id.as_str());
                        let values = if this { v.clone() } else { TopicForm::from(*t) };
                        let active = if this { v.active.is_some() } else { t.active };
                        let row_errors = if this { errors } else { &none };
                        Row::new(vec![
                            Cell::Heading(html! { (t.name) }),
                            Cell::Data(html! { (t.description) }),
                            Cell::Data(html! {
                                @if t.active {
                                    (status_badge(ctx, "active", Tone::Ok))
                                } @else {
                                    (status_badge(ctx, "inactive", Tone::Neutral))
                                }
                            }),
                            Cell::Data(html! {
                                details.row-edit open[this] {
                                    summary { (ctx.t("form.edit")) span.visually-hidden { ": " (t.name) } }
                                    (error_summary_in(ctx, row_errors, &form))
                                    form method="post" action={ (base) "/" (id) } {
                                        (csrf_field(ctx))
                                        (topic_fields(ctx, row_errors, &values, active, &form))
                                        div.actions { button type="submit" { (ctx.t("form.save")) } }
                                    }
                                }
                                (action_button(ctx, &format!("{base}/{id}/delete"), ctx.t("form.delete"), true))
                            }),
                        ])
                        .class_if(!t.active, "muted")
                    }),
                ))
            }
            @if !deleted.is_empty() {
                section.deleted aria-labelledby="deleted-title" {
                    h2 #deleted-title { (ctx.t("topics.deleted_title")) }
                    ul.muted-list {
                        @for t in &deleted {
                            li { (t.name) " " (status_badge(ctx, "deleted", Tone::Off)) span.hint { " — " (ctx.t("topics.deleted_note")) } }
                        }
                    }
                }
            }
            section.card #add aria-labelledby="add-title" {
                h2 #add-title { (ctx.t("topics.add_title")) }
                (error_summary_in(ctx, add_errors, "add"))
                form method="post" action=(base) {
                    (csrf_field(ctx))
                    (topic_fields(ctx, add_errors, &add_value, add_active, "add"))
                    div.actions { button type="submit" { (ctx.t("topics.add_button")) } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{PriorityId, TenantId, TopicId};
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::views::test_support::{assert_labelled, user_ctx};

    fn prio(id: u64, name: &str, colour: &str, rank: u32, target: Option<u32>) -> Priority {
        Priority {
            tenant: TenantId(1),
            id: PriorityId(id),
            name: name.into(),
            colour: colour.into(),
            rank,
            response_target_minutes: target,
        }
    }

    fn topic(id: u64, name: &str, active: bool, deleted: bool) -> Topic {
        Topic {
            tenant: TenantId(1),
            id: TopicId(id),
            name: name.into(),
            description: "About <things>".into(),
            active,
            deleted,
        }
    }

    #[test]
    fn priorities_show_chips_with_text_and_edit_forms() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let list = vec![
            prio(2, "Low", "#00ff00", 3, None),
            prio(1, "<script>Urgent</script>", "\"><script>", 1, Some(120)),
        ];
        let html = priorities(
            &c,
            &list,
            &PriorityForm::default(),
            &FormErrors::new(),
            Some("priority_saved"),
        )
        .into_string();
        assert!(html.contains("&lt;script&gt;Urgent&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("fill=\"#00ff00\""));
        assert!(
            html.contains("fill=\"#6b7280\""),
            "an odd colour falls back to grey"
        );
        assert!(
            html.find("Urgent").unwrap() < html.find("Low").unwrap(),
            "sorted by rank"
        );
        assert!(html.contains("action=\"/t/acme/settings/priorities/1\""));
        assert!(html.contains("action=\"/t/acme/settings/priorities/2/delete\""));
        assert!(html.contains("action=\"/t/acme/settings/priorities\""));
        assert!(html.contains("2 h"));
        assert!(html.contains("id=\"f-add-rank\" name=\"rank\" type=\"number\" value=\"4\""));
        assert!(!html.contains("<details class=\"row-edit\" open"));
        assert_labelled(&html);

        let mut errors = FormErrors::new();
        errors.add("colour", "invalid_colour");
        let errors = errors.for_form("2");
        let v = PriorityForm {
            name: "Typed".into(),
            colour: "red".into(),
            rank: "3".into(),
            response_target_minutes: String::new(),
        };
        let html = priorities(
            &user_ctx(Lang::De, Some(Role::TenantAdmin)),
            &list,
            &v,
            &errors,
            None,
        )
        .into_string();
        assert!(html.contains("<details class=\"row-edit\" open"));
        assert!(html.contains("href=\"#f-p2-colour\""));
        assert!(html.contains("value=\"Typed\""));
        assert!(html.contains("Prioritäten"));
        assert!(html.contains("Kein Ziel"));
    }

    #[test]
    fn topics_list_active_inactive_and_deleted() {
        let c = user_ctx(Lang::En, Some(Role::Supporter));
        let list = vec![
            topic(1, "Printers", true, false),
            topic(2, "<b>Fax</b>", false, false),
            topic(3, "Telex", false, true),
        ];
        let html = topics(&c, &list, &TopicForm::default(), &FormErrors::new(), None).into_string();
        assert!(html.contains("&lt;b&gt;Fax&lt;/b&gt;"));
        assert!(html.contains("About &lt;things&gt;"));
        assert!(html.contains("Inactive"));
        assert!(html.contains("still shown on old assignments"));
        assert!(
            !html.contains("/settings/topics/3\""),
            "deleted topics are not edited"
        );
        assert!(html.contains("action=\"/t/acme/settings/topics/1/delete\""));
        assert!(html.contains(
            "id=\"f-add-active\" type=\"checkbox\" name=\"active\" value=\"on\" checked"
        ));
        assert!(
            !html.contains("/settings/users"),
            "a supporter's sub-navigation has no users"
        );
        assert_labelled(&html);

        let mut errors = FormErrors::new();
        errors.add("name", "required");
        let html = topics(
            &user_ctx(Lang::De, Some(Role::TenantAdmin)),
            &list,
            &TopicForm::default(),
            &errors,
            None,
        )
        .into_string();
        assert!(html.contains("Themen"));
        assert!(html.contains("href=\"#f-add-name\""));
        assert!(!html.contains(
            "id=\"f-add-active\" type=\"checkbox\" name=\"active\" value=\"on\" checked"
        ));
        assert!(html.contains("Gelöschte Themen"));
    }
}
