//! The HTML of the MCP sign-in flow: the sign-in page, the consent screen and plain message
//! pages, with the headers every one of them carries (a strict CSP, no framing, no caching).
//!
//! Everything that came from outside (client names, IDs, server names, messages) is escaped.

use alloy_gateway::authorization::{AuthorizeParameters, AuthorizeRequest, Consent};
use hyper::StatusCode;
use hyper::header::{self, HeaderValue};

use crate::respond::{self, HttpResponse};

/// The double-submit cookie of the forms.
pub const CSRF_COOKIE: &str = "alloy_oauth_csrf";

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

/// What the sign-in page shows besides the request.
#[derive(Default)]
pub struct SignInPage<'a> {
    /// A refusal to show.
    pub error: Option<&'a str>,
    /// The "act as user" field's value.
    pub user_id: Option<&'a str>,
    /// The user a sign-in link opened in this browser signs in.
    pub linked: Option<&'a str>,
    /// The single sign-on provider's name and the origin the browser is sent to, when
    /// configured.
    pub single_sign_on: Option<(&'a str, &'a str)>,
}

/// The hidden fields repeating the authorization request, and the CSRF field.
fn hidden_fields(params: &AuthorizeParameters, csrf: &str) -> String {
    let mut hidden: String = params
        .pairs()
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">\n",
                escape(v)
            )
        })
        .collect();
    hidden.push_str(&format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n"
    ));
    hidden
}

fn client_name(request: &AuthorizeRequest) -> String {
    escape(request.client_name.as_deref().unwrap_or("An MCP client"))
}

/// The sign-in page: a credential (or a sign-in link opened here, or single sign-on).
pub fn sign_in_page(
    params: &AuthorizeParameters,
    request: &AuthorizeRequest,
    status: StatusCode,
    shown: SignInPage<'_>,
) -> HttpResponse {
    let csrf = hex::encode(rand::random::<[u8; 24]>());
    let error_html = shown.error.map_or(String::new(), |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))
    });
    // A sign-in link opened in this browser: continuing needs no key (the field stays, for
    // signing in as someone else).
    let (linked_html, required) = match shown.linked {
        Some(user) => (
            format!(
                "<p class=\"linked\">Signed in as <strong>{}</strong> by a sign-in link: \
                 continue, or paste a key to sign in as someone else.</p>",
                escape(user)
            ),
            "",
        ),
        None => (String::new(), " required"),
    };
    let sso_html = shown.single_sign_on.map_or(String::new(), |(name, _)| {
        format!(
            "<div class=\"sso\"><button type=\"submit\" name=\"decision\" value=\"sso\" \
             formnovalidate class=\"secondary\">Sign in with {}</button></div>\n",
            escape(name)
        )
    });
    let body = format!(
        "<h1>Sign in to connect {client}</h1>\n\
         <p><strong>{client}</strong> <span class=\"muted\">({client_id})</span> asks to use the MCP server \
         <code>{resource}</code> as you. Sign in; the next page shows what it may do there before you approve.</p>\n\
         {error_html}{linked_html}\n\
         <form method=\"post\" action=\"/oauth/authorize\">\n{hidden}\
         <label for=\"credential\">API key or user token</label>\n\
         <input id=\"credential\" name=\"credential\" type=\"password\" autocomplete=\"off\"{required} autofocus>\n\
         <label for=\"user_id\">Act as user <span class=\"muted\">(optional; an API key may choose a user of its account)</span></label>\n\
         <input id=\"user_id\" name=\"user_id\" type=\"text\" value=\"{user}\" autocomplete=\"off\">\n\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"continue\">Continue</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate class=\"secondary\">Deny</button></div>\n\
         {sso_html}</form>",
        client = client_name(request),
        client_id = escape(&request.client_id),
        resource = escape(&request.resource),
        user = escape(shown.user_id.unwrap_or("")),
        hidden = hidden_fields(params, &csrf),
    );
    // The single sign-on button's post ends at the provider: the CSP must let the form go there.
    let provider = shown.single_sign_on.map(|(_, origin)| origin);
    form_response(status, "Sign in", &body, request, &csrf, provider)
}

/// The consent screen: the client, the server and its restrictions, who signed in; approve or
/// deny, with the sign-in's ticket.
pub fn consent_page(
    params: &AuthorizeParameters,
    request: &AuthorizeRequest,
    consent: &Consent,
) -> HttpResponse {
    let csrf = hex::encode(rand::random::<[u8; 24]>());
    let restrictions: String = consent
        .restrictions
        .iter()
        .map(|r| format!("<li>{}</li>", escape(r)))
        .collect();
    let description = if consent.server_description.is_empty() {
        String::new()
    } else {
        format!(
            "<br><span class=\"muted\">{}</span>",
            escape(&consent.server_description)
        )
    };
    let body = format!(
        "<h1>Allow {client} to use {server}?</h1>\n\
         <dl class=\"consent\">\n\
         <dt>Client</dt><dd><strong>{client}</strong> <span class=\"muted\">({client_id})</span></dd>\n\
         <dt>Server</dt><dd><strong>{server}</strong> <span class=\"muted\">({server_id})</span>{description}<br><code>{resource}</code></dd>\n\
         <dt>As</dt><dd><strong>{user}</strong> <span class=\"muted\">(account {account}, signed in with {via})</span></dd>\n\
         <dt>It may use</dt><dd><ul class=\"restrictions\">{restrictions}</ul></dd>\n\
         </dl>\n\
         <p>It will act for you with the platform credentials you connected to this gateway, within these restrictions, until you revoke its access.</p>\n\
         <form method=\"post\" action=\"/oauth/authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\n\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"approve\" autofocus>Approve</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button></div>\n\
         </form>",
        client = client_name(request),
        client_id = escape(&request.client_id),
        server = escape(&consent.server_name),
        server_id = escape(&consent.server_id),
        resource = escape(&request.resource),
        user = escape(&consent.user_id),
        account = escape(&consent.account_id),
        via = consent.signed_in_with,
        ticket = escape(&consent.ticket),
        hidden = hidden_fields(params, &csrf),
    );
    form_response(
        StatusCode::OK,
        "Approve access",
        &body,
        request,
        &csrf,
        None,
    )
}

/// A form page, with its CSRF cookie.
fn form_response(
    status: StatusCode,
    title: &str,
    body: &str,
    request: &AuthorizeRequest,
    csrf: &str,
    provider: Option<&str>,
) -> HttpResponse {
    let targets: Vec<String> = origin_of(&request.redirect_uri)
        .into_iter()
        .chain(provider.map(str::to_owned))
        .collect();
    let mut resp = html(status, title, body, &targets);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={csrf}; Path=/oauth; Max-Age=900; HttpOnly; SameSite=Strict"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A page with a title and a plain message (escaped here).
pub fn message(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let body = format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(text));
    html(status, title, &body, &[])
}

/// A page of the sign-in flow around `body_html` (already escaped HTML). `form_targets`: the
/// origins a form's redirect may end at, besides this one.
fn html(status: StatusCode, title: &str, body_html: &str, form_targets: &[String]) -> HttpResponse {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Alloy MCP Server</title>\
         <link rel=\"stylesheet\" href=\"/admin/assets/sign-in.css\"></head>\n\
         <body><main>\n{body_html}\n</main></body></html>\n",
        escape(title)
    );
    let mut resp = hyper::Response::new(respond::full(html));
    *resp.status_mut() = status;
    let mut form_action = "'self'".to_owned();
    for origin in form_targets {
        form_action.push(' ');
        form_action.push_str(origin);
    }
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
