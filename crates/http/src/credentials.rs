//! Credential, OAuth-app and user-data endpoints (`/api/credentials…`, `/api/oauth-apps…`,
//! `/api/connectors/:connectorId/credential-metadata`, `/api/users/:userId`) and the OAuth
//! callback (`/oauth/callback`), which the provider sends the user's browser to without API
//! authentication: the single-use `state` is what identifies the flow.

use crate::request_body::RequestBody;
use alloy_domain::page::Page;
use alloy_domain::{ApiError, ErrorCode, FieldError, coerce};
use alloy_gateway::Caller;
use alloy_gateway::credentials::{CallbackOutcome, NewCredentialRequest};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value};

use crate::api_request;
use crate::rate_limit;
use crate::request::{header_str, query_pairs};
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Fields a `POST /api/credentials` body may have.
const CREATE_FIELDS: &[&str] = &["connectorId", "authenticationType", "fields", "redirectUri"];

/// Serves one credential-related request.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    if route == Route::OAuthCallback {
        return callback(state, ctx, req).await;
    }
    api_request::serve_admitted(state, ctx, req, async |caller, parts, body| {
        serve(state, caller, route, parts, body).await
    })
    .await
}

async fn serve(
    state: &AppState,
    caller: &Caller,
    route: Route,
    parts: hyper::http::request::Parts,
    body: RequestBody,
) -> Result<HttpResponse, alloy_gateway::Error> {
    let credentials = state.gateway.credentials();
    let apps = credentials.oauth_apps();
    Ok(match (route, &parts.method) {
        (Route::Credentials, &Method::GET) => {
            let pairs = query_pairs(parts.uri.query());
            let page = Page::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            let connector = pairs
                .iter()
                .find(|(k, _)| k == "connectorId")
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty());
            respond::json(
                StatusCode::OK,
                &credentials.list_page(caller, connector, page).await?,
            )
        }
        (Route::Credentials, &Method::POST) => {
            let header_redirect = header_str(&parts.headers, "x-redirect-uri").map(str::to_owned);
            let body = api_request::json_body(state, &parts, body).await?;
            let request = create_request(&body, header_redirect)?;
            let oauth = request.authentication_type == "oauth2";
            let created = credentials.create(caller, request).await?;
            // A key-like credential exists now; an OAuth one only after the user consents.
            let status = if oauth {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            respond::json(status, &created)
        }
        (Route::Credential(id), &Method::GET) => respond::json(
            StatusCode::OK,
            &credentials
                .get(caller, &id)
                .await
                .map_err(|e| missing_resource(&id, e))?,
        ),
        (Route::Credential(id), &Method::DELETE) => respond::json(
            StatusCode::OK,
            &credentials
                .delete(caller, &id)
                .await
                .map_err(|e| missing_resource(&id, e))?,
        ),
        (Route::CredentialMetadata(connector), &Method::GET) => {
            respond::json(StatusCode::OK, &credentials.metadata(&connector)?)
        }
        (Route::User(user), &Method::DELETE) => respond::json(
            StatusCode::OK,
            &credentials.delete_user_data(caller, &user).await?,
        ),
        (Route::OAuthApps, &Method::GET) => {
            respond::json(StatusCode::OK, &apps.list(caller).await?)
        }
        (Route::OAuthApp(connector), &Method::GET) => {
            respond::json(StatusCode::OK, &apps.get(caller, &connector).await?)
        }
        (Route::OAuthApp(connector), &Method::PUT) => {
            let body = api_request::json_body(state, &parts, body).await?;
            respond::json(StatusCode::OK, &apps.put(caller, &connector, &body).await?)
        }
        (Route::OAuthApp(connector), &Method::DELETE) => {
            respond::json(StatusCode::OK, &apps.delete(caller, &connector).await?)
        }
        (route, _) => respond::method_not_allowed(route.allowed()),
    })
}

fn invalid(
    code: ErrorCode,
    field: &str,
    constraint: &str,
    value: Value,
    message: &str,
) -> ApiError {
    ApiError::validation(FieldError::new(code, field, constraint, value, message))
}

fn required_string(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        None => Err(invalid(
            ErrorCode::MissingRequiredField,
            name,
            "required",
            Value::Bool(true),
            &format!("'{name}' is required"),
        )),
        Some(Value::String(_)) => Err(invalid(
            ErrorCode::ValueTooShort,
            name,
            "minLength",
            Value::from(1),
            &format!("'{name}' must not be empty"),
        )),
        Some(_) => Err(invalid(
            ErrorCode::InvalidFormat,
            name,
            "type",
            Value::from("string"),
            &format!("'{name}' must be a string"),
        )),
    }
}

/// Reads a `POST /api/credentials` body; `redirectUri` falls back to `x-redirect-uri`.
fn create_request(
    body: &Value,
    header_redirect: Option<String>,
) -> Result<NewCredentialRequest, ApiError> {
    let body = coerce::body_object(body).map_err(ApiError::validation)?;
    if let Some(unknown) = body.keys().find(|k| !CREATE_FIELDS.contains(&k.as_str())) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(invalid(
            ErrorCode::ValidationError,
            &shown,
            "unknown",
            Value::from(CREATE_FIELDS),
            &format!(
                "Unknown field '{shown}'; accepted: {}",
                CREATE_FIELDS.join(", ")
            ),
        ));
    }
    // As everywhere in the API, `null` is a value of the wrong type, not an absent field.
    let fields = match body.get("fields") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(invalid(
                ErrorCode::InvalidFormat,
                "fields",
                "type",
                Value::from("object"),
                "'fields' must be an object",
            ));
        }
    };
    let redirect_uri = match body.get("redirectUri") {
        None => header_redirect.filter(|h| !h.trim().is_empty()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(invalid(
                ErrorCode::InvalidFormat,
                "redirectUri",
                "type",
                Value::from("string"),
                "'redirectUri' must be a string",
            ));
        }
    };
    Ok(NewCredentialRequest {
        connector_id: required_string(body, "connectorId")?,
        authentication_type: required_string(body, "authenticationType")?,
        fields,
        redirect_uri,
    })
}

/// `GET /oauth/callback`: rate-limited per client address (there is no caller yet).
async fn callback(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
) -> HttpResponse {
    let decision = state.limiter.check(&ctx.address_bucket()).await;
    if !decision.allowed {
        return rate_limit::management_refusal(&decision);
    }
    let pairs = query_pairs(req.uri().query());
    // A browser gets a readable page; a client that asks for JSON gets the error object.
    let wants_json = header_str(req.headers(), "accept")
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    let outcome = state.gateway.credentials().oauth_callback(&pairs).await;
    let mut resp = match outcome {
        CallbackOutcome::Redirect { location } => match HeaderValue::from_str(&location) {
            Ok(value) => {
                let mut resp = respond::empty(StatusCode::FOUND);
                resp.headers_mut().insert(header::LOCATION, value);
                resp
            }
            Err(_) => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The authorization finished, but the redirect address is unusable.".to_owned(),
            ),
        },
        CallbackOutcome::Page { status, message } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            if wants_json {
                respond::error(&ApiError::new(code_for(status), message))
            } else {
                page(status, message)
            }
        }
    };
    // The URL that led here carries the authorization code: keep it out of caches and of
    // the Referer of whatever the browser loads next.
    let headers = resp.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    rate_limit::write_headers(headers, &decision);
    resp
}

/// The error code of a callback page's status, for clients that ask for JSON.
fn code_for(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        404 => ErrorCode::NotFound,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        500..=599 => ErrorCode::InternalError,
        _ => ErrorCode::InvalidRequest,
    }
}

fn page(status: StatusCode, message: String) -> HttpResponse {
    let mut resp = Response::new(respond::full(format!("{message}\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// A credential ID in the path that names nothing (for this caller) is a missing resource:
/// `404 NOT_FOUND`, as for servers. `CREDENTIAL_NOT_FOUND` (400, the reference's code) stays
/// the answer where an action finds no usable credential.
fn missing_resource(id: &str, e: alloy_gateway::Error) -> alloy_gateway::Error {
    let api = e.to_api_error();
    if api.code != alloy_domain::ErrorCode::CredentialNotFound {
        return e;
    }
    let mut missing = alloy_domain::ApiError::not_found(format!("Credential '{id}' not found"));
    missing.details = api.details;
    missing.into()
}
