//! The data-driven catalog runner: every case of every `catalog/fixtures/<id>.json` goes through
//! the real executor against a recording server standing in for the platform, and the exact
//! request sent and the mapped result are compared with the fixture (format in
//! `docs/connectors.md` and the shared connector spec).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_connectors::openapi::CATEGORIES;
use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};
use alloy_connectors::{
    AuthType, Connector, CredentialMaterial, ExecuteOptions, Executor, ExecutorConfig, Registry,
};
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The catalog must not pass by being empty.
const MIN_CONNECTORS: usize = 15;

fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(catalog_dir().join("fixtures"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_builtin_document_loads() {
    let (registry, errors) = Registry::load(true, &[]);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        shown.is_empty(),
        "built-in documents failed to load:\n{}",
        shown.join("\n")
    );
    assert!(Registry::builtin().is_ok());
    let documents = alloy_connectors::catalog::builtin_documents();
    assert_eq!(
        registry.len(),
        documents.len(),
        "one connector per document"
    );
    for (file, _) in documents {
        let id = file.trim_end_matches(".json");
        let c = registry
            .connector(id)
            .unwrap_or_else(|_| panic!("catalog/{file} must declare info.x-alloy-id `{id}`"));
        assert!(
            CATEGORIES.contains(&c.category.as_str()),
            "{id}: category `{}` is not one of {CATEGORIES:?}",
            c.category
        );
        assert!(!c.description.is_empty(), "{id}: info.description is empty");
        assert!(
            !c.auth_schemes.is_empty(),
            "{id}: no usable security scheme"
        );
        assert!(
            !c.credential_metadata().is_empty(),
            "{id}: no credential metadata"
        );
        if let Some(v) = &c.verify_action {
            let a = c.action(v).unwrap();
            assert!(
                a.is_read_only(),
                "{id}: x-alloy-verify `{v}` must be a read-only action"
            );
        }
    }
}

#[test]
fn the_catalog_has_enough_connectors() {
    let registry = Registry::builtin().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = registry
        .connectors(None)
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        ids.len() >= MIN_CONNECTORS,
        "the built-in catalog has {} connectors ({ids:?}); at least {MIN_CONNECTORS} are required",
        ids.len()
    );
}

#[test]
fn every_document_has_fixtures_with_reads_writes_and_auth() {
    let registry = Registry::builtin().unwrap_or_else(|e| panic!("{e}"));
    let fixtures: HashMap<String, PathBuf> =
        fixture_files().into_iter().map(|p| (stem(&p), p)).collect();
    let mut problems = Vec::new();
    for c in registry.connectors(None) {
        let Some(path) = fixtures.get(&c.id) else {
            problems.push(format!(
                "{}: catalog/fixtures/{}.json is missing",
                c.id, c.id
            ));
            continue;
        };
        let fixture: Value = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: fixture does not parse: {e}", c.id));
                continue;
            }
        };
        let cases = fixture["cases"].as_array().cloned().unwrap_or_default();
        let method_of = |case: &Value| {
            c.action(case["action"].as_str().unwrap_or_default())
                .map(|a| a.method.as_str().to_owned())
        };
        let reads = cases
            .iter()
            .filter(|k| method_of(k).as_deref() == Some("GET"))
            .count();
        let writes = cases
            .iter()
            .filter(|k| {
                matches!(
                    method_of(k).as_deref(),
                    Some("POST" | "PUT" | "PATCH" | "DELETE")
                )
            })
            .count();
        if reads == 0 {
            problems.push(format!("{}: no case of a GET (list/read) action", c.id));
        }
        if writes == 0 {
            problems.push(format!(
                "{}: no case of a POST/PUT/PATCH/DELETE action",
                c.id
            ));
        }
        let shows_auth = cases.iter().any(|case| {
            let Ok(cred) = serde_json::from_value::<CredentialMaterial>(case["credential"].clone())
            else {
                return false;
            };
            let expected = format!("{} {}", case["expect"]["headers"], case["expect"]["query"]);
            secrets_of(&cred)
                .iter()
                .any(|s| expected.contains(s.as_str()))
        });
        if !shows_auth {
            problems.push(format!(
                "{}: no case's expect.headers/expect.query shows the injected credential",
                c.id
            ));
        }
    }
    for id in fixtures.keys() {
        if registry.connector(id).is_err() {
            problems.push(format!("fixtures/{id}.json has no catalog document"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The values a credential's injection would put on the wire.
fn secrets_of(cred: &CredentialMaterial) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["accessToken", "token", "apiKey"] {
        if let Some(v) = cred.field(field).filter(|v| !v.is_empty()) {
            out.push(v.to_owned());
        }
    }
    if let Some(user) = cred.field("username") {
        let pair = format!("{user}:{}", cred.field("password").unwrap_or_default());
        out.push(base64::engine::general_purpose::STANDARD.encode(pair));
    }
    out
}

#[tokio::test]
async fn every_fixture_case_passes() {
    let registry = Registry::builtin().unwrap_or_else(|e| panic!("{e}"));
    let files = fixture_files();
    assert!(!files.is_empty(), "catalog/fixtures has no fixture");
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for path in files {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        match run_fixture(&registry, &path).await {
            Ok((n, mut f)) => {
                cases_run += n;
                failures.extend(f.drain(..).map(|m| format!("{file}: {m}")));
            }
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in {cases_run} fixture cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one fixture file; returns how many cases ran and the failures.
async fn run_fixture(registry: &Registry, path: &Path) -> Result<(usize, Vec<String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let fixture: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let id = fixture["connector"]
        .as_str()
        .ok_or("missing `connector`")?
        .to_owned();
    if id != stem(path) {
        return Err(format!(
            "`connector` is `{id}` but the file is named {}",
            stem(path)
        ));
    }
    let connector = registry
        .connector(&id)
        .map_err(|_| format!("connector `{id}` is not in the catalog"))?;
    let cases = fixture["cases"].as_array().ok_or("missing `cases` array")?;
    if cases.is_empty() {
        return Err("no cases".into());
    }
    let server = RecordingServer::start()
        .await
        .map_err(|e| format!("cannot start the stand-in server: {e}"))?;
    let executor = Executor::new(ExecutorConfig {
        base_url_overrides: HashMap::from([(id.clone(), server.url())]),
        retry_base_delay: Duration::from_millis(1),
        retry_max_delay: Duration::from_millis(2),
        upstream_allow: vec!["127.0.0.0/8".parse().unwrap()],
        ..ExecutorConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"]
            .as_str()
            .map_or_else(|| format!("#{i}"), |n| format!("`{n}`"));
        server.reset();
        if let Err(problems) = run_case(&executor, connector, &server, case).await {
            failures.extend(problems.into_iter().map(|p| format!("case {name}: {p}")));
        }
    }
    Ok((cases.len(), failures))
}

async fn run_case(
    executor: &Executor,
    connector: &Connector,
    server: &RecordingServer,
    case: &Value,
) -> Result<(), Vec<String>> {
    let action_id = case["action"]
        .as_str()
        .ok_or(vec!["missing `action`".to_owned()])?;
    let action = connector
        .action(action_id)
        .ok_or_else(|| vec![format!("action `{action_id}` is not in the document")])?;
    let credential = match case.get("credential") {
        None | Some(Value::Null) => {
            CredentialMaterial::new(AuthType::Bearer, Vec::<(String, String)>::new())
        }
        Some(c) => {
            serde_json::from_value(c.clone()).map_err(|e| vec![format!("bad `credential`: {e}")])?
        }
    };
    let params = case.get("parameters").cloned().unwrap_or(Value::Null);
    server
        .set_fallback(reply_of(case.get("respond").unwrap_or(&Value::Null)).map_err(|e| vec![e])?);

    let outcome = executor
        .execute(
            connector,
            action,
            &params,
            &credential,
            ExecuteOptions::default(),
        )
        .await;
    let requests = server.requests();
    let mut problems = Vec::new();

    match case.get("expect") {
        None | Some(Value::Null) => {
            if !requests.is_empty() {
                problems.push(format!(
                    "expected no request, but {} was sent: {} {}",
                    requests.len(),
                    requests[0].method,
                    requests[0].path_and_query()
                ));
            }
        }
        Some(expect) => match requests.first() {
            None => problems.push(format!(
                "expected a request, none was sent (outcome: {})",
                match &outcome {
                    Ok(r) => format!("status {}", r.status),
                    Err(e) => format!("{}: {e}", e.code()),
                }
            )),
            Some(req) => check_request(expect, req, &mut problems),
        },
    }

    let result = &case["result"];
    match (result.get("error"), &outcome) {
        (Some(expected), Err(e)) => {
            let code = expected["code"].as_str().unwrap_or("(missing code)");
            if e.code().as_str() != code {
                problems.push(format!(
                    "result: expected error {code}, got {}: {e}",
                    e.code()
                ));
            }
            if let Some(status) = expected.get("upstreamStatus")
                && Some(status) != e.upstream_status().map(Value::from).as_ref()
            {
                problems.push(format!(
                    "result: expected upstream status {status}, got {:?}",
                    e.upstream_status()
                ));
            }
        }
        (Some(expected), Ok(r)) => problems.push(format!(
            "result: expected error {}, got status {} with {}",
            expected["code"], r.status, r.body
        )),
        (None, Err(e)) => problems.push(format!("result: expected success, got {}: {e}", e.code())),
        (None, Ok(r)) => {
            if result.get("status").and_then(Value::as_u64) != Some(u64::from(r.status)) {
                problems.push(format!(
                    "result: expected status {}, got {}",
                    result["status"], r.status
                ));
            }
            if result.get("body").unwrap_or(&Value::Null) != &r.body {
                problems.push(format!(
                    "result: expected body {}, got {}",
                    result["body"], r.body
                ));
            }
            if let Some(next) = result.get("nextPage") {
                let actual = r.next_page.clone().unwrap_or(Value::Null);
                if next != &actual {
                    problems.push(format!("result: expected nextPage {next}, got {actual}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The scripted answer of a case (`respond`).
fn reply_of(respond: &Value) -> Result<Reply, String> {
    let status = respond.get("status").and_then(Value::as_u64).unwrap_or(200);
    let status = u16::try_from(status).map_err(|_| format!("bad respond.status {status}"))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(h) = respond.get("headers") {
        let h = h.as_object().ok_or("respond.headers must be an object")?;
        for (k, v) in h {
            let v = v
                .as_str()
                .ok_or(format!("respond.headers.{k} must be a string"))?;
            headers.push((k.to_ascii_lowercase(), v.to_owned()));
        }
    }
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone());
    let is_json = content_type.as_deref().is_none_or(|ct| ct.contains("json"));
    let body = match respond.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if !is_json => s.clone().into_bytes(),
        Some(v) => v.to_string().into_bytes(),
    };
    if content_type.is_none() && !body.is_empty() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    let mut reply = Reply::status(status).body(body);
    for (k, v) in &headers {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

fn check_request(expect: &Value, req: &RecordedRequest, problems: &mut Vec<String>) {
    if let Some(method) = expect.get("method").and_then(Value::as_str)
        && method != req.method
    {
        problems.push(format!("method: expected {method}, sent {}", req.method));
    }
    match expect.get("path").and_then(Value::as_str) {
        Some(path) if path != req.path => {
            problems.push(format!("path: expected {path}, sent {}", req.path));
        }
        Some(_) => {}
        None => problems.push("expect.path is missing".into()),
    }

    let expected_query = expect.get("query").cloned().unwrap_or(json!({}));
    match multimap(&expected_query) {
        Ok(expected) => {
            let actual = pairs_to_map(req.query_pairs());
            if expected != actual {
                problems.push(format!(
                    "query: expected {}, sent {} (raw `{}`)",
                    show(&expected),
                    show(&actual),
                    req.query.as_deref().unwrap_or("")
                ));
            }
        }
        Err(e) => problems.push(format!("expect.query: {e}")),
    }

    if let Some(headers) = expect.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            let actual = req.header(name);
            if actual != value.as_str() {
                problems.push(format!(
                    "header {name}: expected {value}, sent {}",
                    actual.map_or("(absent)".to_owned(), |a| format!("{a:?}"))
                ));
            }
        }
    }

    let content_type = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    match expect.get("body") {
        None | Some(Value::Null) => {
            if !req.body.is_empty() {
                problems.push(format!(
                    "body: expected none, sent {}",
                    String::from_utf8_lossy(&req.body)
                ));
            }
        }
        Some(Value::Object(b)) if b.contains_key("json") => {
            if !(content_type.starts_with("application/json") || content_type.contains("+json")) {
                problems.push(format!(
                    "body: expected JSON content type, sent `{content_type}`"
                ));
            }
            match req.body_json() {
                Some(actual) if actual == b["json"] => {}
                Some(actual) => {
                    problems.push(format!("body: expected {}, sent {actual}", b["json"]))
                }
                None => problems.push(format!(
                    "body: expected JSON {}, sent `{}`",
                    b["json"],
                    String::from_utf8_lossy(&req.body)
                )),
            }
        }
        Some(Value::Object(b)) if b.contains_key("form") => {
            if !content_type.starts_with("application/x-www-form-urlencoded") {
                problems.push(format!(
                    "body: expected a form content type, sent `{content_type}`"
                ));
            }
            match multimap(&b["form"]) {
                Ok(expected) => {
                    let actual = pairs_to_map(req.form_pairs());
                    if expected != actual {
                        problems.push(format!(
                            "form body: expected {}, sent {} (raw `{}`)",
                            show(&expected),
                            show(&actual),
                            String::from_utf8_lossy(&req.body)
                        ));
                    }
                }
                Err(e) => problems.push(format!("expect.body.form: {e}")),
            }
        }
        Some(other) => problems.push(format!(
            "expect.body must be null, {{\"json\": ...}} or {{\"form\": ...}}, not {other}"
        )),
    }
}

/// `{"k": "v", "r": ["a", "b"]}` as key → values.
fn multimap(value: &Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let obj: &Map<String, Value> = value.as_object().ok_or("must be an object")?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let values = match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(format!("`{k}`: values must be strings"))?,
            other => {
                return Err(format!(
                    "`{k}`: value {other} must be a string (or array of strings)"
                ));
            }
        };
        out.insert(k.clone(), values);
    }
    Ok(out)
}

fn pairs_to_map(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        out.entry(k).or_default().push(v);
    }
    out
}

fn show(map: &BTreeMap<String, Vec<String>>) -> String {
    let obj: Map<String, Value> = map
        .iter()
        .map(|(k, v)| {
            let v = if v.len() == 1 { json!(v[0]) } else { json!(v) };
            (k.clone(), v)
        })
        .collect();
    Value::Object(obj).to_string()
}
