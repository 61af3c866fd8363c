//! The OpenAPI 3.1 document of this HTTP API, served at `GET /api/openapi.json`.
//!
//! Written by hand (the handlers are raw hyper over `serde_json` values, with nothing to derive
//! a document from) and kept true three ways: a test here checks that every route and method
//! of the router is in it and nothing else is, the end-to-end tests validate the responses
//! they receive against its schemas, and CI runs schemathesis against a live server with it.

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{self, HeaderValue};

use crate::respond::{self, HttpResponse};

/// The document, as served.
pub const OPENAPI_DOCUMENT: &str = include_str!("../openapi.json");

/// `GET /api/openapi.json`.
pub(crate) fn document() -> HttpResponse {
    let mut resp = hyper::Response::new(respond::full(Bytes::from_static(
        OPENAPI_DOCUMENT.as_bytes(),
    )));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::Route;
    use serde_json::Value;

    fn doc() -> Value {
        serde_json::from_str(OPENAPI_DOCUMENT).expect("the document is JSON")
    }

    /// A concrete path for a template (`{serverId}` → `x-serverId`).
    fn concrete(template: &str) -> String {
        template
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => format!("x-{name}"),
                    None => seg.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn is_openapi_3_1() {
        let doc = doc();
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1.")),
            "openapi: {}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_route_and_method_is_documented() {
        let doc = doc();
        for route in Route::examples() {
            let template = route.template();
            let item = &doc["paths"][template];
            assert!(item.is_object(), "{template} is not in the document");
            for method in route.allowed().split(", ").filter(|m| *m != "HEAD") {
                assert!(
                    item[method.to_ascii_lowercase()].is_object(),
                    "{method} {template} is not in the document"
                );
            }
        }
    }

    #[test]
    fn the_document_has_no_route_the_router_lacks() {
        let doc = doc();
        let methods = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        for (template, item) in doc["paths"].as_object().expect("paths") {
            let route = Route::parse(&concrete(template))
                .unwrap_or_else(|| panic!("{template}: no such route"));
            assert_eq!(route.template(), template, "{template} routes elsewhere");
            for method in methods.iter().filter(|m| item.get(**m).is_some()) {
                let method: hyper::Method = method.to_ascii_uppercase().parse().unwrap();
                assert!(route.allows(&method), "{method} {template} is not served");
            }
        }
    }

    #[test]
    fn every_operation_documents_its_errors_and_has_an_id() {
        let doc = doc();
        let mut ids = std::collections::HashSet::new();
        for (template, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if !op.is_object() || op.get("responses").is_none() {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(!id.is_empty(), "{method} {template} has no operationId");
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses
                        .keys()
                        .any(|s| s.starts_with('2') || s.starts_with('3')),
                    "{method} {template}: no success response"
                );
            }
        }
    }
}
