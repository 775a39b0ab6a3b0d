//! Makes the generated document say everything the server does, so a client (or
//! schemathesis) can trust it: the `{…}` path parameters the custom extractors read, the
//! error statuses every handler shares (they come from extractors and middleware, not from
//! the handler's own code), and the one error body they all have.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, OpenApi, PathItem, Ref, RefOr, Required, ResponseBuilder, Schema,
};

pub struct SharedResponses;

/// A status that comes from outside a handler: its code, what it means, and to which
/// operations it applies.
struct Shared(&'static str, &'static str, fn(&Shape) -> bool);

/// The statuses that come from outside a handler, and when.
const SHARED: &[Shared] = &[
    Shared(
        "400",
        "Malformed JSON, a malformed query or path value, or a date out of range",
        |s| s.has_body || s.has_query || s.has_path,
    ),
    Shared(
        "401",
        "No credentials, or a token that is expired or revoked",
        |s| s.authenticated,
    ),
    Shared("403", "Authenticated, but this role may not do this", |s| {
        s.authenticated
    }),
    Shared("404", "Unknown, or belongs to someone else", |s| s.has_path),
    Shared("413", "The body is too large", |s| s.has_body),
    Shared("415", "The body is not of the documented media type", |s| {
        s.has_body
    }),
    Shared(
        "422",
        "Validation failed: `details.fields` maps each field to its reason",
        |s| s.has_body || s.has_query,
    ),
    Shared(
        "429",
        "rate_limited: past this account's (or, without a token, this address's) budget of \
         REST calls, with Retry-After (docs/protocol.md)",
        |s| s.rest,
    ),
    Shared(
        "503",
        "The database (or the object store) is not answering",
        |_| true,
    ),
];

struct Shape {
    authenticated: bool,
    has_body: bool,
    has_query: bool,
    has_path: bool,
    /// Under `/v1/`: counted by the REST budget (`web::rest_budget`).
    rest: bool,
}

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert("Error".into(), error_schema());
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names = path_names(path);
            for op in operations(item) {
                declare_path_params(op, &names);
                let shape = Shape {
                    authenticated: op.security.as_ref().is_some_and(|s| !s.is_empty()),
                    has_body: op.request_body.as_ref().is_some_and(has_content),
                    has_query: op
                        .parameters
                        .iter()
                        .flatten()
                        .any(|p| matches!(p.parameter_in, ParameterIn::Query)),
                    has_path: !names.is_empty(),
                    rest: path.starts_with("/v1/"),
                };
                for Shared(status, description, applies) in SHARED {
                    if applies(&shape) {
                        add_error(op, status, description);
                    }
                }
                // Every error the handler declared itself has the same body.
                for (status, response) in op.responses.responses.iter_mut() {
                    if (status.starts_with('4') || status.starts_with('5'))
                        && let RefOr::T(r) = response
                        && r.content.is_empty()
                    {
                        r.content.insert("application/json".into(), error_content());
                    }
                }
            }
        }
    }
}

fn has_content(body: &RequestBody) -> bool {
    !body.content.is_empty()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// `/v1/classes/{id}/members/{learner_id}` → `["id", "learner_id"]`.
fn path_names(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

/// Every `{…}` segment a handler did not describe itself is a bounded string saying what it
/// names (what the route macros inferred from the handler's arguments has no description and
/// is replaced).
fn declare_path_params(op: &mut Operation, names: &[String]) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    params.retain(|p| !matches!(p.parameter_in, ParameterIn::Path) || p.description.is_some());
    for name in names {
        let declared = params
            .iter()
            .any(|p| p.name == *name && matches!(p.parameter_in, ParameterIn::Path));
        if declared {
            continue;
        }
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(200));
        params.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(describe(name)))
                .schema(Some(schema))
                .build(),
        );
    }
}

fn describe(name: &str) -> &'static str {
    match name {
        "learner_id" => "A learner's id (a child profile or a student's learner)",
        "key" => "The content key, as listed by the activity that uses it",
        _ => "The resource's id (a UUID; activity and achievement ids are slugs)",
    }
}

fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", error_content())
                    .build(),
            )
        });
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Error")))
        .build()
}

/// `{"error":{"code","message","details"}}`.
fn error_schema() -> RefOr<Schema> {
    let inner = ObjectBuilder::new()
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("snake_case, stable: what a client branches on")),
        )
        .required("code")
        .property(
            "message",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("For people; may change")),
        )
        .required("message")
        .property(
            "details",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some("`fields` (field → reason) for 422; otherwise empty")),
        )
        .required("details");
    ObjectBuilder::new()
        .property("error", inner)
        .required("error")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_path_parameters() {
        assert_eq!(
            path_names("/v1/classes/{id}/members/{learner_id}"),
            ["id", "learner_id"]
        );
        assert!(path_names("/v1/children").is_empty());
    }
}
