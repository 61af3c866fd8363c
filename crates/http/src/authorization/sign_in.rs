//! `/oauth/authorize`: the sign-in and consent page an MCP client sends the user's browser to,
//! and the form it posts back.
//!
//! The form's contract (documented in docs/oauth.md, so scripts and tests can drive it without
//! a browser): `GET` with the authorization request answers the page with a hidden
//! `csrf_token` field and a `Set-Cookie: alloy_oauth_csrf=…` of the same value; `POST`
//! (`application/x-www-form-urlencoded`) repeats the authorization request's parameters and
//! `csrf_token`, with `credential` (an API key or a user token), optionally `user_id`, and
//! `decision` = `approve` or `deny`, sending the cookie back. Approval answers `303` to the
//! client's redirect URI with `code`, `state` and `iss`.

use alloy_gateway::AuthHeaders;
use alloy_gateway::authorization::{
    AuthorizeError, AuthorizeParameters, AuthorizeRequest, LINK_PREFIX, SignIn, redirect_with,
};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use subtle::ConstantTimeEq;

use crate::request::{cookie, query_pairs};
use crate::request_body::RequestBody;
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};

/// The double-submit cookie of the form.
const CSRF_COOKIE: &str = "alloy_oauth_csrf";
/// The cookie an opened sign-in link leaves, so that the sign-in page (opened next by the MCP
/// client) can approve as its user without a key. `SameSite=Lax`: the browser arrives at the
/// sign-in page by a top-level navigation from the client.
const LINK_COOKIE: &str = "alloy_oauth_link";

/// Serves `GET` (the page) and `POST` (the form) of `/oauth/authorize`.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
) -> HttpResponse {
    if req.method() == Method::POST {
        return post(state, ctx, req).await;
    }
    let pairs = query_pairs(req.uri().query());
    let params =
        AuthorizeParameters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let linked = linked_user(state, req.headers()).await;
    match state.gateway.authorization().check_request(&params).await {
        Ok(request) => form_page(
            &params,
            &request,
            StatusCode::OK,
            None,
            None,
            linked.as_deref(),
        ),
        Err(e) => refusal(state, e),
    }
}

/// The user a sign-in link cookie of this browser would sign in, if it is still good.
async fn linked_user(state: &AppState, headers: &hyper::HeaderMap) -> Option<String> {
    let secret = cookie(headers, LINK_COOKIE)?;
    match state.gateway.authorization().peek_link(secret).await {
        Ok(Ok(user)) => Some(user),
        _ => None,
    }
}

/// `GET /oauth/sign-in/:link`: checks the link (without spending it) and leaves it in a cookie
/// for the sign-in page; the first approval spends it.
pub async fn open_link(state: &AppState, secret: &str) -> HttpResponse {
    match state.gateway.authorization().peek_link(secret).await {
        Ok(Ok(user)) => {
            let message = format!(
                "Signed in as {user}. Go back to your MCP client and connect: the gateway's \
                 sign-in page will let you approve it without a key. This link works once."
            );
            let mut resp = page(StatusCode::OK, "You are signed in", &message, None);
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{LINK_COOKIE}={secret}; Path=/oauth; Max-Age=900; HttpOnly; SameSite=Lax"
            )) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(refused)) => page(
            StatusCode::BAD_REQUEST,
            "Sign-in link refused",
            refused.message(),
            None,
        ),
        Err(e) => {
            tracing::error!(error = %e, "reading a sign-in link failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                "Try again in a moment.",
                None,
            )
        }
    }
}

async fn post(state: &AppState, ctx: &RequestContext, req: Request<RequestBody>) -> HttpResponse {
    let csrf_cookie = cookie(req.headers(), CSRF_COOKIE).map(str::to_owned);
    let link_cookie = cookie(req.headers(), LINK_COOKIE).map(str::to_owned);
    let pairs = match super::form(state, req).await {
        Ok(p) => p,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                &e.description,
                None,
            );
        }
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let csrf_ok = match (csrf_cookie.as_deref(), field("csrf_token")) {
        (Some(c), Some(f)) => !c.is_empty() && bool::from(c.as_bytes().ct_eq(f.as_bytes())),
        _ => false,
    };
    if !csrf_ok {
        return page(
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            "The form expired or did not come from this page (CSRF check). Start the sign-in again from your MCP client.",
            None,
        );
    }
    let params =
        AuthorizeParameters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let request = match state.gateway.authorization().check_request(&params).await {
        Ok(r) => r,
        Err(e) => return refusal(state, e),
    };
    let issuer = state.gateway.authorization().issuer().to_owned();
    if field("decision") != Some("approve") {
        return see_other(&redirect_with(
            &request.redirect_uri,
            &[
                ("error", Some("access_denied")),
                ("error_description", Some("The user denied the request")),
                ("state", request.state.as_deref()),
                ("iss", Some(&issuer)),
            ],
        ));
    }
    let credential = field("credential").map(str::trim).unwrap_or("");
    let user_id = field("user_id").map(str::trim).filter(|u| !u.is_empty());
    let bearer = format!("Bearer {credential}");
    let sign_in = if credential.starts_with(LINK_PREFIX) {
        SignIn::Link(credential)
    } else if !credential.is_empty() {
        SignIn::Credential(AuthHeaders {
            authorization: Some(&bearer),
            user_id,
            user_token: None,
        })
    } else if let Some(link) = link_cookie.as_deref() {
        SignIn::Link(link)
    } else {
        return form_page(
            &params,
            &request,
            StatusCode::UNAUTHORIZED,
            Some("Paste an API key or a user token."),
            None,
            None,
        );
    };
    match state.gateway.approve_authorization(&request, sign_in).await {
        Ok(url) => see_other(&url),
        Err(e) => {
            let api = e.to_api_error();
            // A failed sign-in spends the address's budget, as failed API authentication does.
            let decision = state.limiter.check(&ctx.address_bucket()).await;
            if !decision.allowed {
                return crate::rate_limit::management_refusal(&decision);
            }
            let status =
                StatusCode::from_u16(api.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            form_page(&params, &request, status, Some(&api.message), user_id, None)
        }
    }
}

fn refusal(state: &AppState, e: AuthorizeError) -> HttpResponse {
    match e {
        AuthorizeError::Page(message) => page(
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be used",
            &message,
            None,
        ),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
            description,
            state: client_state,
        } => {
            let issuer = state.gateway.authorization().issuer().to_owned();
            see_other(&redirect_with(
                &redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(&description)),
                    ("state", client_state.as_deref()),
                    ("iss", Some(&issuer)),
                ],
            ))
        }
    }
}

fn see_other(location: &str) -> HttpResponse {
    let mut resp = respond::empty(StatusCode::SEE_OTHER);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Text for HTML: every character that could end a text node or an attribute is escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The origin of the client's redirect URI, which the form may end at (CSP `form-action`
/// applies to the redirect after the post).
fn origin_of(uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok()?;
    match u.origin() {
        url::Origin::Tuple(..) => Some(u.origin().ascii_serialization()),
        url::Origin::Opaque(_) => Some(format!("{}:", u.scheme())),
    }
}

fn form_page(
    params: &AuthorizeParameters,
    request: &AuthorizeRequest,
    status: StatusCode,
    error: Option<&str>,
    user_id: Option<&str>,
    linked: Option<&str>,
) -> HttpResponse {
    let csrf = hex::encode(rand::random::<[u8; 24]>());
    let hidden: String = params
        .pairs()
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">\n",
                escape(v)
            )
        })
        .collect();
    let client = request.client_name.as_deref().unwrap_or("An MCP client");
    let error_html = error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))
    });
    // A sign-in link opened in this browser: approving needs no key (the field stays, for
    // signing in as someone else).
    let (linked_html, required) = match linked {
        Some(user) => (
            format!(
                "<p class=\"linked\">Signed in as <strong>{}</strong> by a sign-in link: \
                 approve, or paste a key to sign in as someone else.</p>",
                escape(user)
            ),
            "",
        ),
        None => (String::new(), " required"),
    };
    let body = format!(
        "<h1>Sign in to connect {client}</h1>\n\
         <p><strong>{client}</strong> <span class=\"muted\">({client_id})</span> asks to use the MCP server \
         <code>{resource}</code> as you. It will act within that server's restrictions, and you can revoke its access at any time.</p>\n\
         {error_html}{linked_html}\n\
         <form method=\"post\" action=\"/oauth/authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <label for=\"credential\">API key or user token</label>\n\
         <input id=\"credential\" name=\"credential\" type=\"password\" autocomplete=\"off\"{required} autofocus>\n\
         <label for=\"user_id\">Act as user <span class=\"muted\">(optional; an API key may choose a user of its account)</span></label>\n\
         <input id=\"user_id\" name=\"user_id\" type=\"text\" value=\"{user}\" autocomplete=\"off\">\n\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate class=\"secondary\">Deny</button></div>\n\
         </form>",
        client = escape(client),
        client_id = escape(&request.client_id),
        resource = escape(&request.resource),
        user = escape(user_id.unwrap_or("")),
    );
    let mut resp = page(status, "Sign in", &body, origin_of(&request.redirect_uri));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={csrf}; Path=/oauth; Max-Age=900; HttpOnly; SameSite=Strict"
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// A page of the sign-in flow. `body_html` is already escaped HTML, or (for plain messages)
/// text that [`page`] escapes when it is not a form.
fn page(
    status: StatusCode,
    title: &str,
    body_html: &str,
    form_target: Option<String>,
) -> HttpResponse {
    let content = if form_target.is_some() {
        body_html.to_owned()
    } else {
        format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(body_html))
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Alloy MCP Server</title>\
         <link rel=\"stylesheet\" href=\"/admin/assets/sign-in.css\"></head>\n\
         <body><main>\n{content}\n</main></body></html>\n",
        escape(title)
    );
    let mut resp = hyper::Response::new(respond::full(html));
    *resp.status_mut() = status;
    let form_action = match form_target {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; \
         form-action {form_action}; frame-ancestors 'none'"
    );
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    crate::console::page_headers(h, &csp);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<img src=x onerror='a'>\"&"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&quot;&amp;"
        );
    }
}
