//! Customers through the JSON API, for integrations that know a caller by e-mail address
//! (a phone system, a form on the intranet): find a tenant's customers and add one, with the
//! same rules as the staff picker. Staff only; customers and other tenants get 404.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::api::TokenAuth;
use super::api_problem::Problem;
use super::api_tickets::{api_error, caller, state};
use crate::domain::accounts::Account;
use crate::service::ServiceError;

#[derive(Debug, Object)]
pub struct CustomerOut {
    /// Use as `customer_id` when filing a ticket for this customer.
    pub id: u64,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Object)]
pub struct CustomerListOut {
    /// At most 20, by name.
    pub customers: Vec<CustomerOut>,
}

#[derive(Debug, Object)]
pub struct NewCustomerIn {
    pub name: String,
    pub email: String,
    #[oai(default)]
    pub phone: String,
}

fn customer_out(a: Account) -> CustomerOut {
    CustomerOut {
        id: a.id.0,
        name: a.name,
        email: a.email,
        phone: a.phone,
    }
}

/// The picker's form calls its fields `new_name`, `new_email`, `new_phone`; here they are
/// the body's `name`, `email`, `phone`.
fn body_fields(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Invalid(fields) => ServiceError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = f.field.strip_prefix("new_").unwrap_or(f.field);
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

pub struct CustomerApi;

#[OpenApi]
impl CustomerApi {
    /// Customers of the tenant whose name, e-mail address or phone contains `q`; with
    /// `email`, only the customer with exactly that address (any letter case).
    #[oai(path = "/t/:slug/customers", method = "get")]
    async fn list(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        q: Query<Option<String>>,
        email: Query<Option<String>>,
    ) -> Result<Json<CustomerListOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let services = &state(req)?.services;
        let exact = email.0.map(|e| e.trim().to_lowercase());
        let text = exact.clone().or(q.0).unwrap_or_default();
        let found = services
            .find_customers(&caller, &text)
            .await
            .map_err(api_error)?;
        let customers = found
            .into_iter()
            .filter(|a| exact.as_ref().is_none_or(|e| &a.email == e))
            .map(customer_out)
            .collect();
        Ok(Json(CustomerListOut { customers }))
    }

    /// Adds a customer to the tenant (no password yet; invite them to let them sign in).
    /// An address that already has an account anywhere is refused: a customer of this tenant
    /// is found with `GET`, anyone else must be invited and accept.
    #[oai(path = "/t/:slug/customers", method = "post")]
    async fn create(
        &self,
        req: &Request,
        auth: TokenAuth,
        slug: Path<String>,
        body: Json<NewCustomerIn>,
    ) -> Result<Json<CustomerOut>, Problem> {
        let caller = caller(req, &auth, &slug.0).await?;
        let services = &state(req)?.services;
        let added = services
            .add_customer(&caller, &body.0.name, &body.0.email, &body.0.phone)
            .await
            .map_err(|e| api_error(body_fields(e)))?;
        Ok(Json(customer_out(added)))
    }
}
