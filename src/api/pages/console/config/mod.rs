//! The console's configuration pages, for admins only (other roles get a 403 page; the
//! break-glass admin token has no console session). Each page calls the function the
//! admin API's handler calls, so every rule, validation included, has one implementation.
//!
//! - [`rules`]: the routing rules, the form that adds one, and the tester that routes a
//!   hypothetical report against the saved rules plus the candidate before it is saved.
//! - [`departments`] and [`categories`]: the departments, the category tree with each
//!   category's questions and handling time, their forms ([`category_form`]) and the
//!   helpers they share ([`catalogue`]).
//! - [`accounts`] and [`account`]: staff accounts (add, change, deactivate) and their API
//!   tokens (create, shown once; revoke), with [`people_form`] and [`people_words`].
//! - [`areas`]: the area import log and the upload of a new CBS boundary file.
//! - [`event_endpoints`]: the webhook endpoints for report events, their deliveries and
//!   why they fail, pause, requeue, replay and delete, with [`event_rows`] and
//!   [`event_words`].

pub mod account;
pub mod accounts;
pub mod areas;
pub mod catalogue;
pub mod catalogue_words;
pub mod categories;
pub mod category_form;
pub mod departments;
pub mod event_endpoints;
pub mod event_rows;
pub mod event_words;
pub mod form;
pub mod people_form;
pub mod people_words;
pub mod rules;
pub mod words;

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::session::ConsoleUser;
use super::{console_lang, message};
use crate::domain::auth::Role;

/// Lets admins through; anyone else gets the 403 page. The role check is the admin API's
/// own (`Staff::require`).
pub fn admin_only(request: &HttpRequest, user: &ConsoleUser) -> Result<(), Box<HttpResponse>> {
    crate::api::staff::auth::Staff(user.identity.clone()).require(&[Role::Admin]).map(|_| ()).map_err(|_| {
        let w = words::of(console_lang(request).0);
        Box::new(
            message(request, StatusCode::FORBIDDEN, w.admins_only_title, w.admins_only_text, user.frame_user())
                .unwrap_or_else(|e| actix_web::ResponseError::error_response(&e)),
        )
    })
}

/// Registers the configuration pages.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(rules::rules_page).service(rules::rules_action);
    config
        .service(departments::departments_page)
        .service(departments::departments_action)
        .service(departments::department_page)
        .service(departments::department_action)
        .service(categories::categories_page)
        .service(categories::new_category_page)
        .service(categories::new_category_submit)
        .service(categories::category_page)
        .service(categories::category_action)
        .service(accounts::accounts_page)
        .service(accounts::accounts_action)
        .service(account::account_page)
        .service(account::account_action)
        .service(areas::areas_page)
        .service(areas::areas_import)
        .service(event_endpoints::event_endpoints_page)
        .service(event_endpoints::event_endpoints_action)
        .service(event_endpoints::event_endpoint_page)
        .service(event_endpoints::event_endpoint_action);
}

impl super::Frame {
    /// Whether the signed-in member is an admin (the navigation shows the configuration
    /// pages to admins only).
    pub fn is_admin(&self) -> bool {
        self.staff_role == Some(Role::Admin)
    }

    /// The configuration pages' words in this frame's language.
    pub fn config_words(&self) -> &'static words::ConfigWords {
        words::of(if self.lang == "en" { super::Lang::En } else { super::Lang::Nl })
    }

    /// The accounts and areas pages' words in this frame's language (for the navigation).
    pub fn people_words(&self) -> &'static people_words::PeopleWords {
        people_words::of(if self.lang == "en" { super::Lang::En } else { super::Lang::Nl })
    }

    /// The event webhook pages' words in this frame's language (for the navigation).
    pub fn event_words(&self) -> &'static event_words::EventWords {
        event_words::of(if self.lang == "en" { super::Lang::En } else { super::Lang::Nl })
    }

    /// The departments and categories pages' words in this frame's language.
    pub fn catalogue_words(&self) -> &'static catalogue_words::CatalogueWords {
        catalogue_words::of(if self.lang == "en" { super::Lang::En } else { super::Lang::Nl })
    }
}
