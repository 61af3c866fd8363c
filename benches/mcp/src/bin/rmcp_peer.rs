//! A peer MCP server built on the official Rust SDK (`rmcp`), to compare the MCP endpoint with:
//! its Streamable HTTP transport served with hyper (HTTP/1, as the bare server), in the SDK's
//! session mode (sessions for revisions before 2026-07-28; `2026-07-28` requests are served
//! statelessly all the same) or, with `--stateless`, its stateless mode (JSON answers).
//!
//! It lists the same tools as the endpoint: `--tools` is a JSON array of tool definitions (the
//! endpoint's own `tools/list` result), loaded once. `list_connectors_alloy` does the same kind of
//! work in memory as the endpoint's: `--connectors` is the endpoint's `list_connectors_alloy`
//! result, whose `structuredContent` is parsed into a catalog at start; each call filters and
//! pages that catalog, then builds and serialises the result (text and structured content). The
//! other tools answer with an error: the benchmark does not call them.
//!
//! Prints `http://127.0.0.1:<port>/mcp` on its first line of output once it accepts connections
//! (any path is served).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use alloy_mcp_bench::Error;
use clap::Parser;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{
    SessionManager, StreamableHttpServerConfig, StreamableHttpService,
};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;

/// Command line.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: String,
    /// The tool definitions to list: a JSON array of MCP tools.
    #[arg(long)]
    tools: PathBuf,
    /// A `list_connectors_alloy` result (a tools/call result whose `structuredContent` holds
    /// `connectors` and `categories`): the catalog.
    #[arg(long)]
    connectors: PathBuf,
    /// The SDK's stateless mode (no sessions, JSON answers) instead of its session mode.
    #[arg(long)]
    stateless: bool,
}

/// Connectors per page by default, and at most (as the endpoint's tool).
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
/// How long a `tools/list` answer may be cached, as the endpoint says.
const LIST_TTL_MS: u64 = 300_000;

/// One connector of the catalog, as the listing shows it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Connector {
    id: String,
    name: String,
    category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    auth_types: Vec<String>,
    /// Lower-cased id, name, category and description, for queries (not listed).
    #[serde(skip)]
    haystack: String,
}

/// The catalog as a `list_connectors_alloy` result holds it.
#[derive(Debug, Deserialize)]
struct Catalog {
    connectors: Vec<Connector>,
    categories: Vec<String>,
}

/// One page of the listing: the tool's result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    connectors: Vec<&'a Connector>,
    count: usize,
    total: usize,
    limit: usize,
    offset: usize,
    has_more: bool,
    categories: &'a [String],
}

/// The peer's state, shared by every session (the SDK makes one handler per session or, in
/// stateless mode, per request).
#[derive(Clone)]
struct Peer {
    tools: Arc<[Tool]>,
    catalog: Arc<Catalog>,
}

impl Peer {
    fn load(args: &Args) -> Result<Self, Error> {
        let tools: Vec<Tool> = serde_json::from_slice(&std::fs::read(&args.tools)?)?;
        let result: Value = serde_json::from_slice(&std::fs::read(&args.connectors)?)?;
        Self::new(tools, &result)
    }

    /// The peer for `tools` and the catalog in `result`, a `list_connectors_alloy` result.
    fn new(tools: Vec<Tool>, result: &Value) -> Result<Self, Error> {
        let structured = result
            .get("structuredContent")
            .ok_or_else(|| Error::Argument("--connectors: no structuredContent".into()))?;
        let mut catalog = Catalog::deserialize(structured)?;
        for c in &mut catalog.connectors {
            c.haystack = format!(
                "{} {} {} {}",
                c.id,
                c.name,
                c.category,
                c.description.as_deref().unwrap_or("")
            )
            .to_lowercase();
        }
        Ok(Self {
            tools: tools.into(),
            catalog: Arc::new(catalog),
        })
    }

    /// `list_connectors_alloy`: the connectors of a category, matching words, a page at a time.
    fn list_connectors(&self, arguments: &JsonObject) -> Result<CallToolResult, String> {
        for key in arguments.keys() {
            if !["category", "query", "limit", "offset"].contains(&key.as_str()) {
                return Err(format!("Unknown argument '{key}'"));
            }
        }
        let text = |key: &str| -> Result<Option<&str>, String> {
            match arguments.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
                Some(_) => Err(format!("'{key}' must be a non-empty string")),
            }
        };
        let number = |key: &str, min: usize, max: usize| -> Result<Option<usize>, String> {
            match arguments.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| (min..=max).contains(n))
                    .map(Some)
                    .ok_or_else(|| format!("'{key}' must be an integer from {min} to {max}")),
            }
        };
        let category = text("category")?;
        let query = text("query")?.map(str::to_lowercase);
        let limit = number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        let offset = number("offset", 0, usize::MAX)?.unwrap_or(0);
        let catalog = &*self.catalog;
        if let Some(category) = category
            && !catalog
                .categories
                .iter()
                .any(|c| c.eq_ignore_ascii_case(category))
        {
            return Err(format!(
                "Unknown category '{category}'; the categories available are: {}",
                catalog.categories.join(", ")
            ));
        }
        let words: Vec<&str> = query
            .as_deref()
            .map(|q| q.split_whitespace().collect())
            .unwrap_or_default();
        let matching: Vec<&Connector> = catalog
            .connectors
            .iter()
            .filter(|c| category.is_none_or(|cat| c.category.eq_ignore_ascii_case(cat)))
            .filter(|c| words.iter().all(|w| c.haystack.contains(w)))
            .collect();
        let total = matching.len();
        let start = offset.min(total);
        let end = start.saturating_add(limit).min(total);
        let page = Page {
            connectors: matching[start..end].to_vec(),
            count: end - start,
            total,
            limit,
            offset,
            has_more: end < total,
            categories: &catalog.categories,
        };
        let structured = serde_json::to_value(&page).map_err(|e| e.to_string())?;
        let text = serde_json::to_string(&structured).map_err(|e| e.to_string())?;
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(structured);
        Ok(result)
    }
}

impl ServerHandler for Peer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("rmcp-peer", env!("CARGO_PKG_VERSION")))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Private))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let no_arguments = JsonObject::new();
        let arguments = request.arguments.as_ref().unwrap_or(&no_arguments);
        let result = match request.name.as_ref() {
            "list_connectors_alloy" => self.list_connectors(arguments),
            name if self.tools.iter().any(|t| t.name == name) => {
                Err(format!("{name} is not implemented by the benchmark peer"))
            }
            name => {
                return Err(ErrorData::invalid_params(
                    format!("Unknown tool '{name}'"),
                    None,
                ));
            }
        };
        Ok(result
            .unwrap_or_else(|message| CallToolResult::error(vec![ContentBlock::text(message)]))
            .into())
    }
}

/// Accepts connections for ever, each served over HTTP/1 by the SDK's service.
async fn serve<M: SessionManager>(
    listener: TcpListener,
    service: StreamableHttpService<Peer, M>,
) -> Result<(), Error> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            // A client hanging up mid-request is not the server's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let peer = Peer::load(&args)?;
    let listener = TcpListener::bind(&args.bind).await?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout();
    writeln!(out, "http://{addr}/mcp")?;
    out.flush()?;
    let factory = move || Ok(peer.clone());
    if args.stateless {
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true);
        serve(
            listener,
            StreamableHttpService::new(factory, Arc::new(NeverSessionManager::default()), config),
        )
        .await
    } else {
        let config = StreamableHttpServerConfig::default();
        serve(
            listener,
            StreamableHttpService::new(factory, Arc::new(LocalSessionManager::default()), config),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn peer() -> Peer {
        let connector = |id: &str, category: &str| {
            json!({"id": id, "name": id.to_uppercase(), "category": category,
                   "description": format!("The {id} API"), "authTypes": ["bearer"]})
        };
        let result = json!({"structuredContent": {
            "connectors": [connector("github", "developer-tools"), connector("gitlab", "developer-tools"),
                           connector("slack", "communication")],
            "categories": ["communication", "developer-tools"],
        }});
        let tools = vec![
            serde_json::from_value(json!({
                "name": "list_connectors_alloy", "inputSchema": {"type": "object"}
            }))
            .unwrap(),
        ];
        Peer::new(tools, &result).unwrap()
    }

    fn call(arguments: Value) -> Result<Value, String> {
        let Value::Object(arguments) = arguments else {
            unreachable!()
        };
        let result = peer().list_connectors(&arguments)?;
        let structured = result.structured_content.clone().unwrap();
        let ContentBlock::Text(text) = &result.content[0] else {
            panic!("not text")
        };
        assert_eq!(
            serde_json::from_str::<Value>(&text.text).unwrap(),
            structured
        );
        Ok(structured)
    }

    #[test]
    fn the_catalog_is_listed_a_page_at_a_time() {
        let all = call(json!({})).unwrap();
        assert_eq!(all["total"], 3);
        assert_eq!(all["hasMore"], false);
        assert_eq!(
            all["connectors"][0],
            json!({"id": "github", "name": "GITHUB",
            "category": "developer-tools", "description": "The github API", "authTypes": ["bearer"]})
        );
        let page = call(json!({"limit": 1, "offset": 1})).unwrap();
        assert_eq!(
            (page["count"].clone(), page["hasMore"].clone()),
            (json!(1), json!(true))
        );
        assert_eq!(page["connectors"][0]["id"], "gitlab");
    }

    #[test]
    fn category_and_query_filter() {
        assert_eq!(
            call(json!({"category": "Communication"})).unwrap()["total"],
            1
        );
        assert_eq!(
            call(json!({"query": "GitLab api"})).unwrap()["connectors"][0]["id"],
            "gitlab"
        );
        assert!(
            call(json!({"category": "nope"}))
                .unwrap_err()
                .contains("Unknown category")
        );
        assert!(call(json!({"limit": 0})).is_err());
        assert!(call(json!({"other": 1})).is_err());
    }
}
