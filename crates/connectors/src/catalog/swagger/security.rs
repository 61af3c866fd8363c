//! Swagger 2.0 `securityDefinitions` as OpenAPI 3 security schemes.

use serde_json::{Map, Value, json};

use super::Converter;

impl Converter {
    /// One `securityDefinitions` entry as an OpenAPI 3 security scheme.
    pub(super) fn security_scheme(&mut self, name: &str, scheme: &Value) -> Value {
        let at = format!("securityDefinitions.{name}");
        let Value::Object(s) = scheme else {
            self.warn(&at, "not an object; kept as is");
            return scheme.clone();
        };
        let kind = s.get("type").and_then(Value::as_str).unwrap_or_default();
        let mut out = Map::new();
        match kind {
            "basic" => {
                out.insert("type".into(), "http".into());
                out.insert("scheme".into(), "basic".into());
            }
            "apiKey" => {
                out.insert("type".into(), "apiKey".into());
                for key in ["in", "name"] {
                    if let Some(v) = s.get(key) {
                        out.insert(key.into(), v.clone());
                    }
                }
            }
            "oauth2" => {
                out.insert("type".into(), "oauth2".into());
                let has = |k: &str| s.get(k).is_some_and(|v| v.is_string());
                let flow = match s.get("flow").and_then(Value::as_str) {
                    Some("implicit") => "implicit",
                    Some("password") => "password",
                    Some("application") => "clientCredentials",
                    Some("accessCode") => "authorizationCode",
                    other => {
                        let guess = match (has("authorizationUrl"), has("tokenUrl")) {
                            (true, true) => "authorizationCode",
                            (true, false) => "implicit",
                            _ => "clientCredentials",
                        };
                        let other = other.map_or("missing".to_owned(), |o| format!("`{o}`"));
                        self.warn(&at, format!("oauth2 `flow` is {other}; assumed `{guess}`"));
                        guess
                    }
                };
                let mut f = Map::new();
                let urls: &[&str] = match flow {
                    "implicit" => &["authorizationUrl"],
                    "authorizationCode" => &["authorizationUrl", "tokenUrl"],
                    _ => &["tokenUrl"],
                };
                for key in urls {
                    match s.get(*key) {
                        Some(v) => {
                            f.insert((*key).into(), v.clone());
                        }
                        None => self.warn(&at, format!("oauth2 flow `{flow}` without `{key}`")),
                    }
                }
                let scopes = s.get("scopes").cloned().unwrap_or_else(|| json!({}));
                f.insert("scopes".into(), scopes);
                out.insert("flows".into(), json!({ flow: f }));
            }
            other => {
                self.warn(&at, format!("unknown scheme type `{other}`; kept as is"));
                return scheme.clone();
            }
        }
        for (key, value) in s {
            if key == "description" || key.starts_with("x-") {
                out.insert(key.clone(), value.clone());
            }
        }
        Value::Object(out)
    }
}
