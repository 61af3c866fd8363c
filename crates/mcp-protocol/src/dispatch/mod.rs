//! Answers parsed MCP messages for a tools-only server: the per-method rules of every
//! supported revision live here, and nothing else does I/O or keeps state.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::cache_policy::CachePolicy;
use crate::call_result::CallToolResult;
use crate::implementation::Implementation;
use crate::jsonrpc::{BatchEntry, ErrorObject, Message, Request, Response, clip};
use crate::logging::LoggingLevel;
use crate::meta::{RequestMeta, SERVER_INFO_KEY};
use crate::prebuilt::{PerRevision, Prebuilt, PrebuiltResults};
use crate::tool_set::ToolSet;
use crate::version::ProtocolVersion;

/// What to send back for one POST body.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// One response.
    Single(Response),
    /// The responses to a batch, in the order of its requests.
    Batch(Vec<Response>),
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Single(r) => r.serialize(serializer),
            Reply::Batch(rs) => rs.serialize(serializer),
        }
    }
}

/// Answers MCP requests from a [`ToolSet`].
///
/// Methods by revision (anything else is `-32601`):
///
/// | method | 2025-03-26 / 2025-06-18 / 2025-11-25 | 2026-07-28 |
/// |---|---|---|
/// | `initialize` | yes | no |
/// | `ping` | yes | no |
/// | `logging/setLevel` | yes | no |
/// | `server/discover` | no | yes |
/// | `tools/list`, `tools/call` | yes | yes |
///
/// For 2026-07-28, every request's `params._meta` is checked first ([`RequestMeta`]), and
/// every result carries `resultType: "complete"` and the server's identity in `_meta`.
pub struct Dispatcher<C> {
    server: Implementation,
    instructions: Option<String>,
    tools: ToolSet<C>,
    cache: CachePolicy,
    prebuilt: PrebuiltResults,
    /// Tells this dispatcher's serialised tool results from another's (their `_meta` differs).
    id: u64,
    /// A stateless revision's `resultType` and `_meta` for tool results, made once.
    completions: PerRevision<Value>,
}

/// Dispatcher identities.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A result, built for this request or prebuilt.
enum Answer {
    Built(Map<String, Value>),
    Prebuilt(std::sync::Arc<serde_json::value::RawValue>),
}

impl<C: Send + Sync> Dispatcher<C> {
    /// A dispatcher answering as `server` with `tools`.
    pub fn new(server: Implementation, tools: ToolSet<C>) -> Self {
        Dispatcher {
            server,
            instructions: None,
            tools,
            cache: CachePolicy::default(),
            prebuilt: PrebuiltResults::default(),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            completions: PerRevision::default(),
        }
    }

    /// Sets the `instructions` sent by `initialize` and `server/discover`.
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self.prebuilt = PrebuiltResults::default();
        self
    }

    /// Sets the caching hints of 2026-07-28 `tools/list` and `server/discover` results.
    pub fn with_cache_policy(mut self, cache: CachePolicy) -> Self {
        self.cache = cache;
        self.prebuilt = PrebuiltResults::default();
        self
    }

    /// The registered tools.
    pub fn tools(&self) -> &ToolSet<C> {
        &self.tools
    }

    /// The server's identity.
    pub fn server(&self) -> &Implementation {
        &self.server
    }

    /// Answers a whole POST body under `revision`.
    ///
    /// `None` means there is nothing to send (notifications and client responses; a batch
    /// of only those): the HTTP transport answers 202 Accepted. A batch under a revision
    /// other than 2025-03-26 is one `-32600` error; inside a batch, `initialize` is refused
    /// with `-32600` and the other requests are answered in order.
    pub async fn dispatch(
        &self,
        message: Message,
        revision: ProtocolVersion,
        ctx: &C,
    ) -> Option<Reply> {
        match message {
            Message::Request(request) => Some(Reply::Single(
                self.handle_request(request, revision, ctx).await,
            )),
            Message::Notification(_) | Message::Response(_) => None,
            Message::Batch(_) if !revision.allows_batches() => {
                Some(Reply::Single(Response::error(
                    None,
                    ErrorObject::invalid_request(format!(
                        "protocol version {revision} does not allow batches"
                    )),
                )))
            }
            Message::Batch(entries) => {
                let mut responses = Vec::new();
                for entry in entries {
                    match entry {
                        BatchEntry::Request(r) if r.method == "initialize" => {
                            responses.push(Response::error(
                                Some(r.id),
                                ErrorObject::invalid_request(
                                    "initialize must not be part of a batch",
                                ),
                            ))
                        }
                        BatchEntry::Request(r) => {
                            responses.push(self.handle_request(r, revision, ctx).await)
                        }
                        BatchEntry::Invalid(error) => responses.push(error),
                        BatchEntry::Notification(_) | BatchEntry::Response(_) => {}
                    }
                }
                (!responses.is_empty()).then_some(Reply::Batch(responses))
            }
        }
    }

    /// Answers one request under `revision`: the revision of the request's session for
    /// 2025 clients (an `initialize` negotiates its own; see [`negotiated_revision`]), or
    /// 2026-07-28 for a stateless request.
    pub async fn handle_request(
        &self,
        request: Request,
        revision: ProtocolVersion,
        ctx: &C,
    ) -> Response {
        let id = request.id.clone();
        match self.answer(request, revision, ctx).await {
            Ok(Answer::Built(result)) => Response::result(id, Value::Object(result)),
            Ok(Answer::Prebuilt(result)) => Response::prebuilt(id, result),
            Err(error) => Response::error(Some(id), error),
        }
    }

    async fn answer(
        &self,
        request: Request,
        revision: ProtocolVersion,
        ctx: &C,
    ) -> Result<Answer, ErrorObject> {
        let Some(method) = Method::served(&request.method, revision) else {
            return Err(ErrorObject::method_not_found(&request.method));
        };
        if revision.is_stateless() {
            RequestMeta::from_request(&request)?.revision()?;
        }
        let built = match method {
            Method::Initialize => return Ok(Answer::Built(self.initialize(&request)?)),
            Method::Ping => Map::new(),
            Method::SetLevel => set_level(&request)?,
            Method::CallTool => {
                let result = self.call_tool(request, ctx).await?;
                let completion = revision.is_stateless().then(|| {
                    self.completions.slot(revision).get_or_init(|| {
                        let mut c = Map::new();
                        self.complete_into(&mut c, revision);
                        Value::Object(c)
                    })
                });
                return Ok(match result.wire_form(revision, self.id, completion) {
                    Some(raw) => Answer::Prebuilt(raw),
                    None => Answer::Built(self.complete(result.to_wire(revision), revision)),
                });
            }
            Method::Discover => return Ok(self.prebuilt(Prebuilt::Discover, revision)),
            Method::ListTools => {
                check_list_params(&request)?;
                return Ok(self.prebuilt(Prebuilt::ListTools, revision));
            }
        };
        Ok(Answer::Built(self.complete(built, revision)))
    }

    /// A result that depends only on the revision, serialised the first time.
    fn prebuilt(&self, which: Prebuilt, revision: ProtocolVersion) -> Answer {
        let build = || {
            let result = match which {
                Prebuilt::Discover => self.discover(),
                Prebuilt::ListTools => self.list_tools(revision),
            };
            self.complete(result, revision)
        };
        match self.prebuilt.get(which, revision, build) {
            Some(raw) => Answer::Prebuilt(raw),
            None => Answer::Built(build()),
        }
    }

    /// What every result of a stateless revision carries: `resultType` and the server's
    /// identity in `_meta`.
    fn complete(
        &self,
        mut result: Map<String, Value>,
        revision: ProtocolVersion,
    ) -> Map<String, Value> {
        if revision.is_stateless() {
            self.complete_into(&mut result, revision);
        }
        result
    }

    fn complete_into(&self, result: &mut Map<String, Value>, revision: ProtocolVersion) {
        result.insert("resultType".into(), Value::String("complete".into()));
        result.insert(
            "_meta".into(),
            json!({ SERVER_INFO_KEY: self.server.to_wire(revision) }),
        );
    }
    fn initialize(&self, request: &Request) -> Result<Map<String, Value>, ErrorObject> {
        let revision = negotiated_revision(request)?;
        let mut result = Map::new();
        result.insert(
            "protocolVersion".into(),
            Value::String(revision.as_str().into()),
        );
        result.insert(
            "capabilities".into(),
            json!({"tools": {"listChanged": false}, "logging": {}}),
        );
        result.insert("serverInfo".into(), self.server.to_wire(revision));
        if let Some(instructions) = &self.instructions {
            result.insert("instructions".into(), Value::String(instructions.clone()));
        }
        Ok(result)
    }

    fn discover(&self) -> Map<String, Value> {
        let mut result = Map::new();
        result.insert(
            "supportedVersions".into(),
            json!(ProtocolVersion::supported()),
        );
        // Logging is deprecated in 2026-07-28 and this server never sends log messages, so
        // only tools are advertised.
        result.insert(
            "capabilities".into(),
            json!({"tools": {"listChanged": false}}),
        );
        if let Some(instructions) = &self.instructions {
            result.insert("instructions".into(), Value::String(instructions.clone()));
        }
        self.insert_cache_hints(&mut result);
        result
    }

    fn list_tools(&self, revision: ProtocolVersion) -> Map<String, Value> {
        let tools = self
            .tools
            .definitions()
            .map(|d| d.to_wire(revision))
            .collect();
        let mut result = Map::new();
        result.insert("tools".into(), Value::Array(tools));
        if revision.is_stateless() {
            self.insert_cache_hints(&mut result);
        }
        result
    }

    async fn call_tool(&self, request: Request, ctx: &C) -> Result<CallToolResult, ErrorObject> {
        let Some(Value::Object(mut params)) = request.params else {
            return Err(ErrorObject::invalid_params(
                "tools/call params must be an object with a tool name",
            ));
        };
        let Some(Value::String(name)) = params.remove("name") else {
            return Err(ErrorObject::invalid_params(
                "tools/call params.name must be a string",
            ));
        };
        let arguments = match params.remove("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(arguments)) => arguments,
            Some(_) => {
                return Err(ErrorObject::invalid_params(
                    "tools/call arguments must be an object",
                ));
            }
        };
        let result = self
            .tools
            .call(&name, ctx, arguments)
            .await
            .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown tool: {}", clip(&name))))?;
        Ok(result)
    }

    fn insert_cache_hints(&self, result: &mut Map<String, Value>) {
        result.insert("ttlMs".into(), json!(self.cache.ttl_ms));
        result.insert(
            "cacheScope".into(),
            Value::String(self.cache.scope.as_str().into()),
        );
    }
}

/// The session revision an `initialize` request settles on: its `params.protocolVersion`
/// when that is a session revision we serve, otherwise [`ProtocolVersion::LATEST_SESSION`].
/// `-32602` when `params.protocolVersion` is missing or not a string. The transport mints the
/// session for this revision; [`Dispatcher`] puts the same one in the `initialize` result.
pub fn negotiated_revision(request: &Request) -> Result<ProtocolVersion, ErrorObject> {
    request
        .params_object()
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .map(ProtocolVersion::negotiate)
        .ok_or_else(|| {
            ErrorObject::invalid_params("initialize params.protocolVersion must be a string")
        })
}

/// The methods this server answers.
enum Method {
    Initialize,
    Ping,
    SetLevel,
    Discover,
    ListTools,
    CallTool,
}

impl Method {
    /// The method named `name` when `revision` has it.
    fn served(name: &str, revision: ProtocolVersion) -> Option<Method> {
        let session = !revision.is_stateless();
        match name {
            "initialize" if session => Some(Method::Initialize),
            "ping" if session => Some(Method::Ping),
            "logging/setLevel" if session => Some(Method::SetLevel),
            "server/discover" if !session => Some(Method::Discover),
            "tools/list" => Some(Method::ListTools),
            "tools/call" => Some(Method::CallTool),
            _ => None,
        }
    }
}

/// Checks `tools/list` params. All tools fit in one page, so this server never issues a
/// cursor: any cursor a client sends is one it did not get from us.
fn check_list_params(request: &Request) -> Result<(), ErrorObject> {
    match &request.params {
        None => Ok(()),
        Some(Value::Object(params)) => match params.get("cursor") {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(ErrorObject::invalid_params("Invalid cursor")),
        },
        Some(_) => Err(ErrorObject::invalid_params(
            "tools/list params must be an object",
        )),
    }
}

/// Checks the level; this server sends no log messages, so there is nothing to store.
fn set_level(request: &Request) -> Result<Map<String, Value>, ErrorObject> {
    request
        .params_object()
        .and_then(|p| p.get("level"))
        .and_then(Value::as_str)
        .and_then(LoggingLevel::parse)
        .map(|_| Map::new())
        .ok_or_else(|| {
            let names: Vec<_> = LoggingLevel::ALL.iter().map(|l| l.as_str()).collect();
            ErrorObject::invalid_params(format!(
                "params.level must be one of: {}",
                names.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests;
