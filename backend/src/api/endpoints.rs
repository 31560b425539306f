//! Every API endpoint in one list: method, path, who may call it, what it takes and what it returns.
//!
//! The router and the OpenAPI document are both built from this list, so a route cannot exist
//! without an access rule, and the published document cannot miss or invent a route. The access
//! rule is enforced by a guard in front of the handler (see [`super::guard`]), so a handler that
//! forgets to ask for a session is still protected.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use shared::{Page, Role};

use super::error::AppError;
use crate::AppState;
use crate::auth::Session;

/// Describes a type in the OpenAPI document's `components.schemas` and answers a reference to it.
pub type SchemaOf = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session: health, first-run setup, login, the API description.
    Public,
    /// Any session, even a locked one: unlocking it.
    Session,
    /// Any logged-in user whose session is not locked: their own account.
    Account,
    /// Users whose pages (§8.1.1, or a custom user's choice) include one of these.
    Pages(&'static [Page]),
}

impl Access {
    /// Whether `session` (None: no session) passes; the error says why not.
    pub fn check(self, session: Option<&Session>) -> Result<(), AppError> {
        let Some(session) = session else {
            return match self {
                Access::Public => Ok(()),
                _ => Err(AppError::Unauthorized),
            };
        };
        match self {
            Access::Public | Access::Session => Ok(()),
            _ if session.locked => Err(AppError::Locked),
            Access::Account => Ok(()),
            Access::Pages(pages) if pages.iter().any(|page| session.grant.allows(*page)) => Ok(()),
            Access::Pages(_) => Err(AppError::Forbidden),
        }
    }

    /// The pages that open the endpoint; empty when no page is needed.
    pub fn pages(self) -> &'static [Page] {
        match self {
            Access::Public | Access::Session | Access::Account => &[],
            Access::Pages(pages) => pages,
        }
    }

    /// The built-in roles allowed in; empty for [`Access::Public`] (nobody needs one). Custom
    /// users pass by their pages.
    pub fn roles(self) -> Vec<Role> {
        match self {
            Access::Public => Vec::new(),
            Access::Session | Access::Account => Role::ALL.to_vec(),
            page_access => Role::ALL
                .into_iter()
                .filter(|role| {
                    page_access
                        .pages()
                        .iter()
                        .any(|page| role.pages().contains(page))
                })
                .collect(),
        }
    }
}

/// A parameter in the path (`{id}`) or the query string.
#[derive(Debug, Clone, Copy)]
pub struct Parameter {
    pub name: &'static str,
    pub location: ParameterLocation,
    pub required: bool,
    pub description: &'static str,
    pub schema: SchemaOf,
}

/// Where a [`Parameter`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterLocation {
    Path,
    Query,
}

/// One method on one path.
pub struct Endpoint {
    pub method: Method,
    /// In axum's syntax, which is also OpenAPI's: `/api/devices/{id}`.
    pub path: &'static str,
    pub access: Access,
    /// Unique name of the operation, for generated clients.
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Group in the document.
    pub tag: &'static str,
    pub parameters: Vec<Parameter>,
    /// JSON request body.
    pub request: Option<SchemaOf>,
    /// Status of a successful answer.
    pub success_status: u16,
    /// Body of a successful answer; None when it has none.
    pub response: Option<SchemaOf>,
    /// Media type of that body: `application/json` unless [`Endpoint::returns_text`] said otherwise.
    pub response_media_type: &'static str,
    /// The endpoint upgrades to a WebSocket whose messages have this schema.
    pub websocket_messages: Option<SchemaOf>,
    pub(super) handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Endpoint")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("access", &self.access)
            .field("operation_id", &self.operation_id)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    fn new<H, T>(
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Endpoint
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Endpoint {
            method,
            path,
            access,
            operation_id: "",
            summary: "",
            tag: "",
            parameters: Vec::new(),
            request: None,
            success_status: 200,
            response: None,
            response_media_type: "application/json",
            websocket_messages: None,
            handler: on(filter, handler),
        }
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Endpoint {
        Endpoint::new(Method::GET, MethodFilter::GET, path, access, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Endpoint {
        Endpoint::new(Method::POST, MethodFilter::POST, path, access, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Endpoint {
        Endpoint::new(Method::PUT, MethodFilter::PUT, path, access, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Endpoint {
        Endpoint::new(Method::DELETE, MethodFilter::DELETE, path, access, handler)
    }

    /// Names and describes the operation.
    pub fn describe(
        mut self,
        tag: &'static str,
        operation_id: &'static str,
        summary: &'static str,
    ) -> Endpoint {
        self.tag = tag;
        self.operation_id = operation_id;
        self.summary = summary;
        self
    }

    /// A `{name}` segment of the path.
    pub fn path_parameter<T: JsonSchema>(
        mut self,
        name: &'static str,
        description: &'static str,
    ) -> Endpoint {
        self.parameters.push(Parameter {
            name,
            location: ParameterLocation::Path,
            required: true,
            description,
            schema: schema_of::<T>,
        });
        self
    }

    /// A query-string parameter.
    pub fn query_parameter<T: JsonSchema>(
        mut self,
        name: &'static str,
        required: bool,
        description: &'static str,
    ) -> Endpoint {
        self.parameters.push(Parameter {
            name,
            location: ParameterLocation::Query,
            required,
            description,
            schema: schema_of::<T>,
        });
        self
    }

    /// The JSON body the endpoint takes.
    pub fn accepts<T: JsonSchema>(mut self) -> Endpoint {
        self.request = Some(schema_of::<T>);
        self
    }

    /// The JSON body of a successful answer, sent with `status`.
    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Endpoint {
        self.success_status = status;
        self.response = Some(schema_of::<T>);
        self
    }

    /// A successful answer of `media_type` (a download such as `text/csv`), described as a string.
    pub fn returns_text(mut self, status: u16, media_type: &'static str) -> Endpoint {
        self.success_status = status;
        self.response = Some(schema_of::<String>);
        self.response_media_type = media_type;
        self
    }

    /// A successful answer without a body.
    pub fn returns_nothing(mut self, status: u16) -> Endpoint {
        self.success_status = status;
        self.response = None;
        self
    }

    /// The endpoint is a WebSocket; each message it sends has schema `T`.
    pub fn websocket<T: JsonSchema>(mut self) -> Endpoint {
        self.success_status = 101;
        self.websocket_messages = Some(schema_of::<T>);
        self
    }
}
