//! POST on the MCP endpoint: one JSON-RPC message (or a 2025-03-26 batch) per request.

use crate::request_body::RequestBody;
use alloy_domain::{ApiError, ErrorCode};
use alloy_gateway::audit::{AuditEvent, Outcome, RequestScope};
use alloy_gateway::mcp::McpContext;
use alloy_gateway::mcp::sessions::session_error;
use alloy_mcp_protocol::{
    ErrorObject, METHOD_HEADER, Message, MirroredHeaders, NAME_HEADER, PROTOCOL_VERSION_HEADER,
    ProtocolVersion, Reply, RequestMeta, Response, check_mirrored_headers, meta,
    negotiated_revision,
};
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Request, StatusCode};

use super::SESSION_HEADER;
use super::reply::{self, Encoding};
use crate::request::{header_str, read_body};
use crate::respond::{self, HttpResponse};
use crate::server::AppState;

/// Serves a POST.
pub async fn handle(state: &AppState, mcp: McpContext, req: Request<RequestBody>) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let accept = header_str(headers, "accept")
        .unwrap_or("")
        .to_ascii_lowercase();
    if !accept.contains("text/event-stream") {
        return reply::failure(&ApiError::new(
            ErrorCode::NotAcceptable,
            "Not Acceptable: the Accept header must include text/event-stream (clients send application/json, text/event-stream)",
        ));
    }
    let encoding = if accept.contains("application/json") {
        Encoding::Json
    } else {
        Encoding::EventStream
    };
    if let Some(ct) = header_str(headers, "content-type") {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" {
            return reply::failure(&ApiError::new(
                ErrorCode::InvalidRequest,
                "Content-Type must be application/json",
            ));
        }
    }
    let bytes = match read_body(
        headers,
        body,
        state.config.max_body_bytes,
        state.config.body_read_timeout,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => return reply::failure(&e),
    };
    let message = match alloy_mcp_protocol::parse(&bytes) {
        Ok(m) => m,
        Err(response) => return reply::protocol_failure(StatusCode::BAD_REQUEST, &response),
    };
    let header_version = header_str(headers, PROTOCOL_VERSION_HEADER);
    if is_stateless(header_version, &message) {
        observe(&mcp, &message, ProtocolVersion::V2026_07_28);
        return stateless(&mcp, headers, message, encoding).await;
    }
    if let Message::Request(request) = &message
        && request.method == "initialize"
    {
        return initialize(&mcp, message, encoding).await;
    }
    if let Err(error) = ProtocolVersion::from_header(header_version) {
        return reply::protocol_failure(StatusCode::BAD_REQUEST, &reply::error_response(error));
    }
    let Some(session_id) = header_str(headers, SESSION_HEADER) else {
        return reply::failure(&ApiError::new(
            ErrorCode::InvalidRequest,
            "Bad Request: Mcp-Session-Id header is required (send initialize first), or use protocol version 2026-07-28",
        ));
    };
    let revision = match mcp
        .gateway
        .mcp_session(session_id, &mcp.server, &mcp.caller)
        .await
    {
        Ok(Some(revision)) => revision,
        Ok(None) => return reply::failure(&session_error()),
        Err(e) => return respond::gateway_error(&e),
    };
    observe(&mcp, &message, revision);
    match mcp.gateway.mcp().dispatch(message, revision, &mcp).await {
        None => accepted(),
        Some(reply) => reply::answer(StatusCode::OK, &reply, encoding),
    }
}

/// Notes the message's method and revision for the log line, counts it, and records
/// `initialize` and `server/discover` (with the client's `clientInfo`) in the audit trail.
fn observe(mcp: &McpContext, message: &Message, revision: ProtocolVersion) {
    let method = match message {
        Message::Request(r) => r.method.as_str(),
        Message::Notification(n) => n.method.as_str(),
        Message::Response(_) => "response",
        Message::Batch(_) => "batch",
    };
    crate::observe::count_mcp(method, revision.as_str());
    RequestScope::note(|n| {
        n.mcp_method = Some(method.chars().take(64).collect());
        n.protocol_version = Some(revision.as_str().to_owned());
    });
    let Message::Request(request) = message else {
        return;
    };
    if !matches!(request.method.as_str(), "initialize" | "server/discover") {
        return;
    }
    let params = request.params_object();
    let info = params.and_then(|p| p.get("clientInfo")).or_else(|| {
        params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(meta::CLIENT_INFO_KEY))
    });
    let field = |name: &str| info.and_then(|i| i.get(name)).and_then(|v| v.as_str());
    mcp.gateway.audit().record(
        AuditEvent::new(&request.method, Outcome::Ok)
            .by(&mcp.caller)
            .server(&mcp.server.server_id)
            .client(field("name"), field("version"))
            .details(serde_json::json!({ "protocolVersion": revision.as_str() })),
    );
}

/// 2026-07-28 is named by the header, or (without the header) by a request that carries its
/// protocol version in `_meta`, as only stateless revisions do; a version there that we do not
/// serve is then answered with -32022 and the supported list.
fn is_stateless(header_version: Option<&str>, message: &Message) -> bool {
    match header_version {
        Some(v) => ProtocolVersion::parse(v).is_some_and(ProtocolVersion::is_stateless),
        None => match message {
            Message::Request(r) => r
                .params_object()
                .and_then(|p| p.get("_meta"))
                .and_then(|m| m.get(meta::PROTOCOL_VERSION_KEY))
                .is_some(),
            _ => false,
        },
    }
}

fn accepted() -> HttpResponse {
    respond::empty(StatusCode::ACCEPTED)
}

/// `initialize`: negotiate the revision, answer, and open a session on success.
async fn initialize(mcp: &McpContext, message: Message, encoding: Encoding) -> HttpResponse {
    let Message::Request(request) = &message else {
        return accepted();
    };
    let revision = match negotiated_revision(request) {
        Ok(r) => r,
        Err(error) => {
            let response = Response::error(Some(request.id.clone()), error);
            return reply::answer(StatusCode::OK, &response, encoding);
        }
    };
    observe(mcp, &message, revision);
    let Some(Reply::Single(response)) = mcp.gateway.mcp().dispatch(message, revision, mcp).await
    else {
        return accepted();
    };
    let session = if response.error_object().is_none() {
        match mcp
            .gateway
            .open_mcp_session(&mcp.server, &mcp.caller, revision)
            .await
        {
            Ok(id) => Some(id),
            Err(e) => return respond::gateway_error(&e),
        }
    } else {
        None
    };
    let mut resp = reply::answer(StatusCode::OK, &response, encoding);
    if let Some(id) = session.and_then(|id| HeaderValue::from_str(&id).ok()) {
        resp.headers_mut().insert(SESSION_HEADER, id);
    }
    resp
}

/// A 2026-07-28 request: mirrored headers and `_meta` checked (400 when wrong), no session.
async fn stateless(
    mcp: &McpContext,
    headers: &HeaderMap,
    message: Message,
    encoding: Encoding,
) -> HttpResponse {
    if let Message::Request(request) = &message {
        // A header sent twice could say one thing to us and another to a proxy in front.
        if let Some(name) = [PROTOCOL_VERSION_HEADER, METHOD_HEADER, NAME_HEADER]
            .into_iter()
            .find(|name| headers.get_all(*name).iter().count() > 1)
        {
            let error = ErrorObject::header_mismatch(format!("{name} was sent more than once"));
            let response = Response::error(Some(request.id.clone()), error);
            return reply::protocol_failure(StatusCode::BAD_REQUEST, &response);
        }
        let mirrored = MirroredHeaders {
            protocol_version: headers
                .get(PROTOCOL_VERSION_HEADER)
                .map(HeaderValue::as_bytes),
            method: headers.get(METHOD_HEADER).map(HeaderValue::as_bytes),
            name: headers.get(NAME_HEADER).map(HeaderValue::as_bytes),
        };
        let checked = check_mirrored_headers(request, &mirrored)
            .and_then(|()| RequestMeta::from_request(request))
            .and_then(|m| m.revision());
        if let Err(error) = checked {
            let response = Response::error(Some(request.id.clone()), error);
            return reply::protocol_failure(StatusCode::BAD_REQUEST, &response);
        }
    }
    match mcp
        .gateway
        .mcp()
        .dispatch(message, ProtocolVersion::V2026_07_28, mcp)
        .await
    {
        None => accepted(),
        Some(Reply::Single(response)) => {
            let status = match response.error_object().map(|e| e.code) {
                Some(ErrorObject::METHOD_NOT_FOUND) => StatusCode::NOT_FOUND,
                Some(
                    ErrorObject::INVALID_REQUEST
                    | ErrorObject::HEADER_MISMATCH
                    | ErrorObject::UNSUPPORTED_PROTOCOL_VERSION
                    | ErrorObject::MISSING_REQUIRED_CLIENT_CAPABILITY,
                ) => StatusCode::BAD_REQUEST,
                _ => StatusCode::OK,
            };
            reply::answer(status, &response, encoding)
        }
        Some(reply) => reply::answer(StatusCode::OK, &reply, encoding),
    }
}
