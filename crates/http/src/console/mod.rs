//! The admin console: its page and files, embedded in the binary at build time (see
//! `build.rs`), served under a strict Content-Security-Policy. The console is a client of the
//! public API like any other; [`session`] is how a browser signs in to that API.

pub mod session;

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

use crate::respond::{self, HttpResponse};

/// Every file of `crates/http/console/`: path relative to it, contents, entity tag.
static ASSETS: &[(&str, &[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// The page's policy: only this origin's scripts, styles, images and API; no inline code, no
/// framing, no plug-ins, no form posting elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The console's files: those `build.rs` embedded, by path.
fn asset(path: &str) -> Option<(&'static [u8], &'static str)> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, bytes, etag)| (*bytes, *etag))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

/// `GET /`: the console.
pub fn root() -> HttpResponse {
    let mut resp = respond::empty(StatusCode::FOUND);
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/admin"));
    resp
}

/// `GET /admin`: the console's page.
pub fn page(request: &HeaderMap) -> HttpResponse {
    serve("index.html", request)
}

/// `GET /admin/assets/…`: one of the console's files, or `404`.
pub fn file(path: &str, request: &HeaderMap) -> HttpResponse {
    if path == "index.html" {
        // The page has one address, /admin.
        return respond::route_not_found();
    }
    serve(path, request)
}

fn serve(path: &str, request: &HeaderMap) -> HttpResponse {
    let Some((bytes, etag)) = asset(path) else {
        return respond::route_not_found();
    };
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut resp = if unchanged {
        respond::empty(StatusCode::NOT_MODIFIED)
    } else {
        let mut resp = Response::new(respond::full(Bytes::from_static(bytes)));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(path)),
        );
        resp
    };
    let headers = resp.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, tag);
    }
    // Revalidated on every load (cheap with the tag), so an upgrade is seen at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    page_headers(headers, CONTENT_SECURITY_POLICY);
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// The headers of every HTML page the binary serves (the console, the OAuth sign-in page): its
/// policy, no framing (clickjacking), no sniffing, no referrer.
pub(crate) fn page_headers(headers: &mut HeaderMap, policy: &str) {
    if let Ok(v) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_are_embedded() {
        assert!(asset("index.html").is_some(), "console/index.html");
        let (page, _) = asset("index.html").unwrap();
        let page = std::str::from_utf8(page).unwrap();
        // Every file the page names is served (a missing one would be a blank console).
        for reference in page.split('"').filter(|s| s.starts_with("/admin/assets/")) {
            let path = reference.trim_start_matches("/admin/assets/");
            assert!(asset(path).is_some(), "{reference} is not embedded");
        }
        assert!(
            !page.contains("<script>"),
            "no inline scripts under the CSP"
        );
    }

    #[test]
    fn pages_carry_the_policy_and_revalidate() {
        let resp = page(&HeaderMap::new());
        assert_eq!(resp.status(), StatusCode::OK);
        let csp = resp.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(resp.headers()[header::X_FRAME_OPTIONS], "DENY");
        let etag = resp.headers()[header::ETAG].clone();
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(page(&again).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            file("nope.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            file("index.html", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }
}
