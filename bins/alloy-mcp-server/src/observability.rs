//! Metrics and traces: the Prometheus recorder behind `/metrics`, the OpenTelemetry export of
//! spans, and the hooks that carry W3C trace context in (HTTP front end) and out (upstream
//! calls).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use alloy_connectors::HeaderDecorator;
use alloy_http::{MetricsEndpoint, TraceParent};
use alloy_storage::Database;
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Histogram buckets in seconds: from a cached answer (1 ms) to the longest action (300 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder (installed on first use; `None` if another recorder
/// was installed first, as an embedding program may do).
pub fn prometheus() -> Option<PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            metrics::gauge!("alloy_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "alloy_http_requests_total",
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        "alloy_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route template"
    );
    describe_counter!(
        "alloy_mcp_requests_total",
        "MCP messages received, by method and protocol revision"
    );
    describe_counter!(
        "alloy_mcp_tool_calls_total",
        "MCP tool calls, by tool, connector, action and outcome"
    );
    describe_histogram!(
        "alloy_mcp_tool_call_duration_seconds",
        Unit::Seconds,
        "Time a tool call took, by tool"
    );
    describe_counter!(
        "alloy_upstream_requests_total",
        "Calls of the platforms' APIs, by connector and status class"
    );
    describe_histogram!(
        "alloy_upstream_request_duration_seconds",
        Unit::Seconds,
        "Time the platforms took to answer, retries included, by connector"
    );
    describe_counter!(
        "alloy_rate_limit_rejections_total",
        "Requests refused by a rate limit, by kind (management, mcp)"
    );
    describe_counter!(
        "alloy_credential_refreshes_total",
        "OAuth token refreshes, by connector and outcome (ok, unavailable, rejected)"
    );
    describe_gauge!(
        "alloy_db_connections",
        "Database pool connections, by state (in_use, idle)"
    );
    describe_histogram!(
        "alloy_db_query_duration_seconds",
        Unit::Seconds,
        "Database statement latency, by backend and outcome"
    );
    describe_counter!("alloy_audit_events_written_total", "Audit events stored");
    describe_counter!(
        "alloy_audit_events_dropped_total",
        "Audit events dropped instead of stored, by reason (buffer_full, database, closed)"
    );
    describe_histogram!(
        "alloy_audit_batch_duration_seconds",
        Unit::Seconds,
        "Time to store one batch of audit events"
    );
    describe_gauge!("alloy_build_info", "Always 1; the version is a label");
    describe_gauge!(
        "alloy_uptime_seconds",
        Unit::Seconds,
        "Seconds since this process started serving"
    );
    describe_gauge!(
        "process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of the process"
    );
}

/// `/metrics` over the process's recorder, with gauges read at scrape time from `db`.
pub fn metrics_endpoint(db: Database, token: Option<String>) -> anyhow::Result<MetricsEndpoint> {
    let handle = prometheus().context("a metrics recorder of another program is installed")?;
    let started = Instant::now();
    let render = Arc::new(move || {
        let pool = db.pool_stats();
        metrics::gauge!("alloy_db_connections", "state" => "idle").set(f64::from(pool.idle));
        metrics::gauge!("alloy_db_connections", "state" => "in_use")
            .set(f64::from(pool.open.saturating_sub(pool.idle)));
        metrics::gauge!("alloy_uptime_seconds").set(started.elapsed().as_secs_f64());
        if let Some(rss) = resident_memory_bytes() {
            metrics::gauge!("process_resident_memory_bytes").set(rss as f64);
        }
        handle.render()
    });
    Ok(MetricsEndpoint::new(render, token))
}

/// Every few seconds until `shutdown`, folds the histogram samples recorded since into the
/// Prometheus recorder's buckets. Until then the recorder keeps every sample (8 bytes each, a
/// handful per request): without this, a server nobody scraped grew by about 15 MiB per
/// 300,000 requests (the benchmark's per-case memory showed it).
pub async fn upkeep(shutdown: impl std::future::Future<Output = ()>) {
    let Some(handle) = prometheus() else {
        return;
    };
    tokio::pin!(shutdown);
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => handle.run_upkeep(),
            () = &mut shutdown => return,
        }
    }
}

/// Resident memory from `/proc/self/statm` (Linux; `None` elsewhere).
fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Whether OpenTelemetry export is asked for (the standard variables).
pub fn tracing_requested() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
        && std::env::var("OTEL_SDK_DISABLED").map_or(true, |v| v != "true")
}

/// The OTLP/HTTP (protobuf) span exporter and its provider; the endpoint, headers, service
/// name, resource attributes, sampler and batch timings come from the standard `OTEL_*`
/// variables. W3C trace context becomes the propagator.
pub fn tracer_provider() -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .context("OTEL_EXPORTER_OTLP_ENDPOINT: building the OTLP exporter")?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(
            std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "alloy-mcp-server".to_owned()),
        )
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(provider)
}

/// The `tracing` layer that turns spans into OpenTelemetry spans.
pub fn otel_layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("alloy-mcp-server"))
}

struct HeaderReader<'a>(&'a http::HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderWriter<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Makes a request's span a child of the trace its `traceparent` names. Without an
/// OpenTelemetry layer (export off) it changes nothing.
pub fn trace_parent() -> TraceParent {
    Arc::new(|headers: &http::HeaderMap, span: &tracing::Span| {
        let parent =
            opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderReader(headers)));
        use opentelemetry::trace::TraceContextExt;
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    })
}

/// Adds the current span's `traceparent` to an upstream request, so that the platform's own
/// tracing (where it has any) joins the trace. Without export there is no span context and
/// nothing is added.
pub fn upstream_trace_headers() -> HeaderDecorator {
    HeaderDecorator(Arc::new(|headers: &mut http::HeaderMap| {
        let cx = tracing::Span::current().context();
        opentelemetry::global::get_text_map_propagator(|p| {
            p.inject_context(&cx, &mut HeaderWriter(headers));
        });
    }))
}
