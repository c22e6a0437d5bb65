//! Error responses that many operations share, declared once for the OpenAPI document.
//! An operation names a set in its `responses(...)` beside its own responses, e.g.
//! `responses((status = 200, body = ReportView), JsonBodyErrors, Unavailable)`. Every one
//! is an RFC 9457 problem document ([`crate::api::error::Problem`]).

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// One problem+json response with the given description.
fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content(crate::api::error::PROBLEM_JSON, content).build())
}

/// Declares a unit struct whose `IntoResponses` lists problem responses.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? })*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([$(($status.to_string(), problem($description))),+])
                }
            }
        )*
    };
}

problem_responses! {
    /// 503: the database could not be reached.
    Unavailable { "503" => "The database is unreachable" }

    /// 429: an abuse limit per client address (or failed logins) was reached; the
    /// `Retry-After` header says when to try again.
    TooManyRequests { "429" => "Too many requests from this address (or failed logins); retry after Retry-After seconds" }

    /// 400, 413, 415: the JSON request body could not be read.
    JsonBodyErrors {
        "400" => "The body is not JSON",
        "413" => "The body is larger than the limit",
        "415" => "The body is not application/json",
    }

    /// 400: the query string could not be read into the operation's parameters.
    QueryErrors {
        "400" => "The query string cannot be read (a parameter of the wrong type, repeated, or missing)",
    }

    /// 401, 403: admin operations (a staff token of an admin, or the configured admin token).
    AdminErrors {
        "401" => "No valid admin token or staff token",
        "403" => "The account does not have the admin role",
    }

    /// 401, 403: statistics and projects (analysts, coordinators and admins).
    AnalystErrors {
        "401" => "No valid token",
        "403" => "The role may not read statistics (department staff)",
    }

    /// 401, 403: operations of staff who handle reports.
    HandlerErrors {
        "401" => "No valid token",
        "403" => "The role does not handle reports (analyst)",
    }
}
