//! Reporting a problem (customers) and filing a ticket for a customer (supporters, after
//! a phone call or a visit), with the customer picker (docs/ui.md, "Pickers").

use maud::{Markup, html};

use super::data::{NewForCustomerForm, NewTicketForm};
use super::{error_text, files_field, labelled_input};
use crate::domain::accounts::Account;
use crate::domain::catalog::{Priority, Topic};
use crate::views::forms::{
    FieldOpts, FormErrors, InputKind, csrf_field, error_summary, field_with, select_with,
    textarea_with,
};
use crate::views::markdown;
use crate::views::parts::tenant_base;
use crate::views::{PageCtx, layout};

/// Topics a new ticket may get: active and not deleted, whatever the caller passed.
fn topic_options(ctx: &PageCtx, topics: &[Topic]) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), ctx.t("tickets.no_topic_choice").to_owned())];
    options.extend(
        topics
            .iter()
            .filter(|t| t.active && !t.deleted)
            .map(|t| (t.id.to_string(), t.name.clone())),
    );
    options
}

fn body_field(ctx: &PageCtx, errors: &FormErrors, value: &str) -> Markup {
    textarea_with(
        ctx,
        errors,
        "body",
        value,
        10,
        FieldOpts {
            required: true,
            hint_key: Some("tickets.body_hint"),
            ..FieldOpts::default()
        },
    )
}

/// `/t/{slug}/tickets/new`: subject, description with a preview, optional topic and
/// attachments. `preview` is the description to show rendered (the form was submitted
/// with `preview=1`).
pub fn new_ticket(
    ctx: &PageCtx,
    v: &NewTicketForm,
    topics: &[Topic],
    errors: &FormErrors,
    preview: Option<&str>,
) -> Markup {
    let title = ctx.t("new_ticket.title");
    let action = format!("{}/tickets/new", tenant_base(ctx));
    let topic_choices = topic_options(ctx, topics);
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p.lead { (ctx.t("new_ticket.lead")) }
            (error_summary(ctx, errors))
            @if let Some(md) = preview {
                (preview_box(ctx, md))
            }
            form.ticket-form method="post" enctype="multipart/form-data" action=(action) data-attach {
                (csrf_field(ctx))
                (field_with(ctx, errors, "subject", InputKind::Text, &v.subject,
                    FieldOpts { required: true, hint_key: Some("new_ticket.subject_hint"), ..FieldOpts::default() }))
                (body_field(ctx, errors, &v.body))
                div.actions.preview-row {
                    button.secondary type="submit" name="preview" value="1" formnovalidate { (ctx.t("tickets.preview_button")) }
                }
                @if topic_choices.len() > 1 {
                    (select_with(ctx, errors, "topic", &topic_choices, &v.topic,
                        FieldOpts { hint_key: Some("new_ticket.topic_hint"), ..FieldOpts::default() }))
                }
                (files_field(ctx, errors, ""))
                div.actions {
                    button type="submit" { (ctx.t("new_ticket.submit")) }
                }
            }
        },
    )
}

fn preview_box(ctx: &PageCtx, md: &str) -> Markup {
    html! {
        section.card.preview aria-labelledby="preview-title" {
            h2 #preview-title { (ctx.t("tickets.preview_title")) }
            @if md.trim().is_empty() {
                p.hint { (ctx.t("tickets.preview_empty")) }
            } @else {
                (markdown::render(md))
            }
            p.hint { (ctx.t("tickets.preview_files")) }
        }
    }
}

/// `/t/{slug}/tickets/new-for-customer`: a supporter files a ticket on a customer's
/// behalf. `picked` is the account named by `v.customer_id`; `matches` the result of
/// searching `v.customer_q` (submitted with `find=1`). With no customer picked, the
/// `new_*` fields describe a customer to create.
pub fn new_for_customer(
    ctx: &PageCtx,
    v: &NewForCustomerForm,
    topics: &[Topic],
    priorities: &[Priority],
    picked: Option<&Account>,
    matches: &[Account],
    errors: &FormErrors,
) -> Markup {
    let title = ctx.t("new_for_customer.title");
    let base = tenant_base(ctx);
    let action = format!("{base}/tickets/new-for-customer");
    let topic_choices = topic_options(ctx, topics);
    let mut priority_choices = vec![(String::new(), ctx.t("tickets.priority_later").to_owned())];
    priority_choices.extend(
        priorities
            .iter()
            .map(|p| (p.id.to_string(), p.name.clone())),
    );
    let others: Vec<&Account> = matches
        .iter()
        .filter(|a| picked.is_none_or(|p| p.id != a.id))
        .collect();
    let searched = !v.customer_q.trim().is_empty();
    let typing_new = !(v.new_name.is_empty() && v.new_email.is_empty() && v.new_phone.is_empty());
    let new_errors = ["new_name", "new_email", "new_phone"]
        .iter()
        .any(|f| errors.get(f).is_some());
    let customer_error =
        error_text(ctx, errors, "customer").or_else(|| error_text(ctx, errors, "customer_id"));
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p.lead { (ctx.t("new_for_customer.lead")) }
            (error_summary(ctx, errors))
            form.ticket-form method="post" enctype="multipart/form-data" action=(action) data-attach {
                (csrf_field(ctx))
                fieldset.picker.has-error[customer_error.is_some()] #f-customer {
                    legend { (ctx.t("field.customer")) }
                    @if let Some(e) = &customer_error {
                        p.field-error { (e) }
                    }
                    @if let Some(p) = picked {
                        div.picked-contact {
                            input id={ "f-picked-" (p.id) } type="radio" name="customer_id" value=(p.id) checked;
                            label for={ "f-picked-" (p.id) } { (contact(ctx, p)) }
                        }
                    }
                    div.field.picker-search {
                        label for="f-customer_q" { (ctx.t("field.customer_q")) }
                        p.hint id="f-customer_q-hint" { (ctx.t("new_for_customer.search_hint")) }
                        div.search-row {
                            input #f-customer_q type="search" name="customer_q" value=(v.customer_q)
                                autocomplete="off" aria-describedby="f-customer_q-hint"
                                aria-controls="customer-matches"
                                hx-get={ (base) "/customers/search" }
                                hx-trigger="input changed delay:250ms, search"
                                hx-target="#customer-matches"
                                hx-swap="innerHTML"
                                data-param="q";
                            button.icon type="submit" name="find" value="1" formnovalidate title=(ctx.t("form.search")) {
                                (magnifier())
                                span.visually-hidden { (ctx.t("form.search")) }
                            }
                        }
                    }
                    div #customer-matches .matches aria-live="polite" {
                        (matches_list(ctx, &others, searched && picked.is_none()))
                    }
                    @if picked.is_some() || !others.is_empty() {
                        div.choice-new {
                            input #f-customer_id-new type="radio" name="customer_id" value="";
                            label for="f-customer_id-new" { (ctx.t("new_for_customer.choose_new")) }
                        }
                    }
                    details.new-customer open[typing_new || new_errors] {
                        summary { (ctx.t("new_for_customer.new_title")) }
                        p.hint { (ctx.t("new_for_customer.new_hint")) }
                        (labelled_input("f-new_name", "new_name", ctx.t("field.new_name"), "text", &v.new_name, None,
                            error_text(ctx, errors, "new_name").as_deref()))
                        (labelled_input("f-new_email", "new_email", ctx.t("field.new_email"), "email", &v.new_email, None,
                            error_text(ctx, errors, "new_email").as_deref()))
                        (labelled_input("f-new_phone", "new_phone", ctx.t("field.new_phone"), "tel", &v.new_phone, None,
                            error_text(ctx, errors, "new_phone").as_deref()))
                    }
                }
                div.field-row {
                    (select_with(ctx, errors, "priority", &priority_choices, &v.priority, FieldOpts::default()))
                    @if topic_choices.len() > 1 {
                        (select_with(ctx, errors, "topic", &topic_choices, &v.topic, FieldOpts::default()))
                    }
                }
                (field_with(ctx, errors, "subject", InputKind::Text, &v.subject,
                    FieldOpts { required: true, ..FieldOpts::default() }))
                (body_field(ctx, errors, &v.body))
                (files_field(ctx, errors, ""))
                div.actions {
                    button type="submit" { (ctx.t("new_for_customer.submit")) }
                }
            }
        },
    )
}

/// The picker's result list for the htmx endpoint `/t/{slug}/customers/search?q=`: radio
/// buttons named `customer_id`, swapped into the form's `#customer-matches` box.
pub fn customer_matches(ctx: &PageCtx, matches: &[Account]) -> Markup {
    let refs: Vec<&Account> = matches.iter().collect();
    matches_list(ctx, &refs, true)
}

fn matches_list(ctx: &PageCtx, matches: &[&Account], searched: bool) -> Markup {
    html! {
        @if matches.is_empty() {
            @if searched {
                p.hint { (ctx.t("new_for_customer.no_match")) }
            }
        } @else {
            ul.match-list {
                @for a in matches {
                    li {
                        input id={ "f-match-" (a.id) } type="radio" name="customer_id" value=(a.id);
                        label for={ "f-match-" (a.id) } { (contact(ctx, a)) }
                    }
                }
            }
        }
    }
}

/// Name, email and phone of a person, as the picker shows them.
fn contact(ctx: &PageCtx, a: &Account) -> Markup {
    html! {
        span.contact {
            strong { (a.name) }
            span { (a.email) }
            @if a.phone.is_empty() {
                span.hint { (ctx.t("tickets.no_phone")) }
            } @else {
                span { (a.phone) }
            }
        }
    }
}

fn magnifier() -> Markup {
    html! {
        svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true" focusable="false" {
            circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" stroke-width="2" {}
            line x1="12.6" y1="12.6" x2="17.5" y2="17.5" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::views::test_support::{assert_labelled, user_ctx};
    use crate::views::tickets::fixtures::{account, priority, topic};

    #[test]
    fn the_customer_form_has_every_field_labelled_in_both_languages() {
        let mut deleted = topic(3, "Old");
        deleted.deleted = true;
        let topics = vec![topic(1, "Printers"), deleted];
        for lang in Lang::ALL {
            let c = user_ctx(lang, Some(Role::Customer));
            let html = new_ticket(
                &c,
                &NewTicketForm::default(),
                &topics,
                &FormErrors::new(),
                None,
            )
            .into_string();
            assert_labelled(&html);
            assert!(html.contains("enctype=\"multipart/form-data\""));
            assert!(html.contains("action=\"/t/acme/tickets/new\""), "{html}");
            assert!(
                html.contains("type=\"file\" name=\"files\" multiple"),
                "{html}"
            );
            assert!(html.contains("name=\"preview\" value=\"1\""));
            assert!(html.contains("25 MB"));
            assert!(html.contains("Printers") && !html.contains(">Old<"));
            assert!(html.contains("data-attach"));
        }
        let html = new_ticket(
            &user_ctx(Lang::De, Some(Role::Customer)),
            &NewTicketForm::default(),
            &[],
            &FormErrors::new(),
            None,
        )
        .into_string();
        assert!(html.contains("Problem melden"), "{html}");
        assert!(!html.contains("name=\"topic\""), "no topics, no select");
    }

    #[test]
    fn hostile_input_is_kept_inert_and_the_preview_is_sanitised() {
        let c = user_ctx(Lang::En, Some(Role::Customer));
        let v = NewTicketForm {
            subject: "\"><script>alert(1)</script>".into(),
            body: "<img src=x onerror=alert(1)> **fine**".into(),
            topic: String::new(),
        };
        let mut errors = FormErrors::new();
        errors.add("subject", "too_long");
        let html = new_ticket(&c, &v, &[], &errors, Some(&v.body)).into_string();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert_eq!(
            html.matches("onerror").count(),
            1,
            "only the escaped textarea text: {html}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; **fine**</textarea>"));
        assert!(html.contains("<strong>fine</strong>"));
        assert!(html.contains("href=\"#f-subject\""));
        assert!(html.contains("This is too long."));
    }

    #[test]
    fn the_supporter_form_offers_the_picker_and_a_new_customer() {
        let c = user_ctx(Lang::En, Some(Role::Supporter));
        let picked = account(AccountId(10), "Carla <b>Customer</b>");
        let matches = vec![
            account(AccountId(10), "Carla <b>Customer</b>"),
            account(AccountId(11), "Chris"),
        ];
        let v = NewForCustomerForm {
            customer_q: "c&a".into(),
            customer_id: "10".into(),
            ..NewForCustomerForm::default()
        };
        let html = new_for_customer(
            &c,
            &v,
            &[topic(1, "Printers")],
            &[priority(1, "Urgent")],
            Some(&picked),
            &matches,
            &FormErrors::new(),
        )
        .into_string();
        assert_labelled(&html);
        assert!(html.contains("action=\"/t/acme/tickets/new-for-customer\""));
        assert!(html.contains("hx-get=\"/t/acme/customers/search\""));
        assert!(html.contains("hx-trigger=\"input changed delay:250ms, search\""));
        assert!(html.contains("hx-target=\"#customer-matches\""));
        assert!(html.contains("name=\"find\" value=\"1\""));
        assert!(html.contains("value=\"c&amp;a\""));
        assert!(html.contains(
            "id=\"f-picked-10\" type=\"radio\" name=\"customer_id\" value=\"10\" checked"
        ));
        assert!(html.contains("id=\"f-match-11\""));
        assert!(
            !html.contains("id=\"f-match-10\""),
            "the picked person is listed once"
        );
        assert!(html.contains("Carla &lt;b&gt;Customer&lt;/b&gt;"));
        assert!(html.contains("10@example.org") && html.contains("+49 30 1234-56"));
        assert!(
            html.contains("name=\"new_name\"")
                && html.contains("name=\"new_email\"")
                && html.contains("name=\"new_phone\"")
        );
        assert!(html.contains("Urgent") && html.contains("Printers"));
        let mut errors = FormErrors::new();
        errors.add("customer", "required");
        errors.add("new_email", "invalid_email");
        let html = new_for_customer(
            &user_ctx(Lang::De, Some(Role::Supporter)),
            &NewForCustomerForm {
                new_email: "x".into(),
                ..NewForCustomerForm::default()
            },
            &[],
            &[],
            None,
            &[],
            &errors,
        )
        .into_string();
        assert_labelled(&html);
        assert!(html.contains("href=\"#f-customer\"") && html.contains("id=\"f-customer\""));
        assert!(
            html.contains("<details class=\"new-customer\" open"),
            "{html}"
        );
        assert!(html.contains("Neuer Kunde"));
    }

    #[test]
    fn the_match_fragment_lists_radios_or_says_nobody_matched() {
        let c = user_ctx(Lang::En, Some(Role::Supporter));
        let html =
            customer_matches(&c, &[account(AccountId(5), "<script>x</script>")]).into_string();
        assert!(html.contains("type=\"radio\" name=\"customer_id\" value=\"5\""));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<html"));
        assert_labelled(&html);
        let html = customer_matches(&user_ctx(Lang::De, Some(Role::Supporter)), &[]).into_string();
        assert!(html.contains("Niemand"), "{html}");
    }
}
