#!/usr/bin/env bash
# Benchmark of the MCP endpoint over loopback, in one run: against a bare hyper server, against a
# peer MCP server built on the official Rust SDK (rmcp), and its own memory and start-up.
#
# Builds alloy-mcp-server and the tools in benches/mcp (release), starts the servers, loads each
# case with the same closed-loop generator (mcp_load), and prints requests/s and p50/p99 latency.
# At BENCH_CONCURRENCY and at concurrency 1:
#   - a bare hyper server answering a fixed JSON body, and a second one answering the very bytes
#     of alloy-mcp-server's tools/list answer (captured once with curl at start);
#   - alloy-mcp-server: tools/list and tools/call list_connectors_alloy on revision 2026-07-28
#     (stateless: no session, one POST per call, with MCP-Protocol-Version, Mcp-Method and
#     Mcp-Name headers) and in 2025-06-18 sessions (each load worker first does the handshake:
#     initialize, its Mcp-Session-Id, notifications/initialized; then every request carries
#     Mcp-Session-Id and MCP-Protocol-Version: 2025-06-18);
#   - the rmcp peer (src/bin/rmcp_peer.rs), the same two calls: one instance in the SDK's
#     stateless mode (the 2026-07-28 requests) and one in its session mode (2025-06-18
#     sessions). It lists the same eight tools (alloy-mcp-server's tools/list result, dumped to
#     a file at start), and its list_connectors_alloy builds and serialises its result from the
#     same catalog (alloy-mcp-server's list_connectors_alloy result, dumped at start and parsed);
#   - tools/call execute_action_alloy (GitHub issues/create, base URL pointed at the bare
#     server) against POSTing the same request to the bare server directly: the difference is
#     what the gateway adds.
# At BENCH_CONCURRENCY only: the audit trail's cost, alloy-mcp-server with the audit trail on and
# off in alternating rounds (list_connectors_alloy and execute_action_alloy).
# Then the ratios of issue 11 (alloy over rmcp, stateless and session; alloy over the same-bytes
# bare server; alloy's session path over its stateless path) and alloy-mcp-server's start to
# ready time (spawn until GET /readyz answers 200, polled every ~2 ms, fresh data dir), idle RSS
# (VmRSS once started and set up, before any load, and again after BENCH_SETTLE seconds idle:
# the allocator returns freed memory only some time after it was freed) and peak RSS (VmHWM
# after all the load cases), each beside its target. Prints figures only; nothing is asserted.
#
# Settings (environment): BENCH_CONCURRENCY (16: the high concurrency; the comparisons also run
# at 1), BENCH_SECONDS (10 per case), BENCH_WARMUP (2), BENCH_AUDIT_ROUNDS (8: rounds of the
# audit on/off comparison, in the order on-off, off-on, …; four resolved no better than ±4 points
# on the 2-core machine), BENCH_PIN (set to 1: servers on
# CPU 0, the load generator on CPU 1, so that the generator does not compete with the server it
# measures; needs taskset and 2 CPUs), BENCH_SERVER_LOG (alloy-mcp-server's --log filter, default
# `info`: the access log is written as in production, to a file), BENCH_PROFILE (`release`;
# `dev` only to try the script quickly: debug figures mean nothing), BENCH_SKIP_BUILD (set to 1:
# do not build alloy-mcp-server but use the one already in the target directory; the tools in
# benches/mcp are built all the same), BENCH_SETTLE (12: seconds the idle server is left alone
# before its memory is read a second time).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CONCURRENCY="${BENCH_CONCURRENCY:-16}"
SECS="${BENCH_SECONDS:-10}"
WARMUP="${BENCH_WARMUP:-2}"
AUDIT_ROUNDS="${BENCH_AUDIT_ROUNDS:-8}"
SERVER_LOG="${BENCH_SERVER_LOG:-info}"
KEY="alloy_bench_bootstrap_key_0123456789"
TOKEN="ghp_bench0token000000000000000000000000"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${BENCH_PROFILE:-release}"
SERVER_CPU=()
LOAD_CPU=()
if [ -n "${BENCH_PIN:-}" ]; then SERVER_CPU=(taskset -c 0); LOAD_CPU=(taskset -c 1); fi

log() { printf '==> %s\n' "$*" >&2; }

log "building ($PROFILE)"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && cargo build --profile "$PROFILE" --quiet -p alloy-mcp-server)
fi
cargo build --profile "$PROFILE" --quiet --locked --manifest-path "$ROOT/benches/mcp/Cargo.toml" \
  --target-dir "$TARGET"
if [ "$PROFILE" = dev ]; then BIN="$TARGET/debug"; else BIN="$TARGET/$PROFILE"; fi
[ -x "$BIN/alloy-mcp-server" ] || { echo "no $BIN/alloy-mcp-server (built?)" >&2; exit 1; }
# The comparisons run at the high concurrency and one at a time.
CONCS=("$CONCURRENCY")
if [ "$CONCURRENCY" != 1 ]; then CONCS+=(1); fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until $1 has a line matching $2 and prints the first match.
wait_for_line() {
  for _ in $(seq 1 200); do
    if line="$(grep -m1 -E "$2" "$1" 2>/dev/null)"; then printf '%s\n' "$line"; return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for /$2/ in $1:" >&2; cat "$1" >&2; return 1
}

# wait_ready OUT: polls (every ~2 ms) OUT, alloy-mcp-server's standard output, for its address,
# then its /readyz until it answers 200; prints the address and the time it did (microseconds).
wait_ready() {
  local out="$1" base="" line
  for _ in $(seq 1 10000); do
    if [ -z "$base" ] && line="$(grep -m1 -E 'listening on http://' "$out" 2>/dev/null)"; then
      base="$(sed -E 's/.*listening on (http:[^ ]+).*/\1/' <<<"$line")"
    fi
    if [ -n "$base" ] && curl -sf -o /dev/null "$base/readyz" 2>/dev/null; then
      printf '%s %s\n' "$base" "${EPOCHREALTIME//[.,]/}"
      return 0
    fi
    sleep 0.002
  done
  echo "timed out waiting for $out to be ready:" >&2; cat "$out" >&2; return 1
}

# status_kib PID FIELD: a /proc/PID/status field (VmRSS, VmHWM) in KiB.
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

"${SERVER_CPU[@]}" "$BIN/bare_server" >"$WORK/bare.out" 2>&1 &
PIDS+=($!)
BARE="$(wait_for_line "$WORK/bare.out" '^http://')"

# start_alloy VAR NAME ARGS... : starts alloy-mcp-server (its stdout/stderr in $WORK/NAME.*),
# creates a server and a GitHub credential (checked once against the bare server, whose GET
# /user answers 200), and sets VAR to the server's access URL, VAR_PID to its process and
# VAR_READY_MS to the time from spawning it to /readyz answering 200. (Not in a command
# substitution: the server must be a child of this shell, for cleanup.)
start_alloy() {
  local var="$1" name="$2"; shift 2
  local spawned="${EPOCHREALTIME//[.,]/}"
  "${SERVER_CPU[@]}" "$BIN/alloy-mcp-server" serve \
    --data-dir "$WORK/$name-data" --bind 127.0.0.1:0 --bootstrap-api-key "$KEY" \
    --rate-limit-per-minute 1000000000 --connector-base-urls "github=$BARE" \
    --upstream-allow 127.0.0.0/8 \
    --log "$SERVER_LOG" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!)
  printf -v "${var}_PID" '%s' "$!"
  local base="" ready=""
  read -r base ready < <(wait_ready "$WORK/$name.out") || true
  [ -n "$ready" ] || { echo "$name did not become ready" >&2; cat "$WORK/$name.log" >&2; exit 1; }
  printf -v "${var}_READY_MS" '%s' "$(((ready - spawned + 500) / 1000))"
  # Resident memory once ready, before any request (the bootstrap key was hashed at start).
  local pid_var="${var}_PID"
  printf -v "${var}_READY_RSS" '%s' "$(status_kib "${!pid_var}" VmRSS)"
  log "$name: alloy-mcp-server $base $*, ready $(((ready - spawned + 500) / 1000)) ms after spawn"
  curl -sf -X POST "$base/api/credentials" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' \
    -d "{\"connectorId\":\"github\",\"authenticationType\":\"bearer\",\"fields\":{\"token\":\"$TOKEN\"}}" >/dev/null
  local url
  url="$(curl -sf -X POST "$base/api/servers" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' -d '{"name":"Benchmark"}' | json_field accessUrl)"
  printf -v "$var" '%s' "$url"
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
log "bare server $BARE"
# The audit trail is on by default; the second server runs without it, for its cost.
start_alloy ACCESS_URL alloy
IDLE_RSS_KIB="$(status_kib "$ACCESS_URL_PID" VmRSS)"
start_alloy NO_AUDIT_URL no-audit --audit false

META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}'
LIST_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{$META}}"
CONNECTORS_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"list_connectors_alloy\",\"arguments\":{},$META}}"
ISSUE='{"owner":"octocat","repo":"hello-world","title":"Add dark mode"}'
EXECUTE_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_action_alloy\",\"arguments\":{\"connectorId\":\"github\",\"actionId\":\"issues/create\",\"parameters\":$ISSUE},$META}}"
MCP_HEADERS=(--header 'accept: application/json, text/event-stream'
  --header 'content-type: application/json' --header 'mcp-protocol-version: 2026-07-28')
# In a 2025-06-18 session: mcp_load --session adds Mcp-Session-Id and MCP-Protocol-Version.
SESSION_HEADERS=(--header 'accept: application/json, text/event-stream'
  --header 'content-type: application/json')
SESSION_LIST_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
SESSION_CONNECTORS_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_connectors_alloy","arguments":{}}}'

# What the same-bytes bare server and the rmcp peer are given: alloy-mcp-server's tools/list
# answer (the whole body, as sent), its tool definitions and its list_connectors_alloy result.
curl -sf -X POST "$ACCESS_URL" "${MCP_HEADERS[@]}" --header 'mcp-method: tools/list' \
  -d "$LIST_BODY" -o "$WORK/tools-list.body"
curl -sf -X POST "$ACCESS_URL" "${MCP_HEADERS[@]}" --header 'mcp-method: tools/call' \
  --header 'mcp-name: list_connectors_alloy' -d "$CONNECTORS_BODY" -o "$WORK/list-connectors.body"
python3 - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
tools = json.load(open(f"{work}/tools-list.body"))["result"]["tools"]
json.dump(tools, open(f"{work}/tools.json", "w"))
result = json.load(open(f"{work}/list-connectors.body"))["result"]
assert not result.get("isError") and result["structuredContent"]["connectors"], result
json.dump(result, open(f"{work}/list-connectors.json", "w"))
print(f"==> dumped {len(tools)} tools and {len(result['structuredContent']['connectors'])} connectors",
      file=sys.stderr)
EOF

"${SERVER_CPU[@]}" "$BIN/bare_server" --body-file "$WORK/tools-list.body" >"$WORK/bare-list.out" 2>&1 &
PIDS+=($!)
BARE_LIST="$(wait_for_line "$WORK/bare-list.out" '^http://')"
log "bare server answering alloy's tools/list bytes ($(wc -c <"$WORK/tools-list.body") B) $BARE_LIST"
PEER_ARGS=(--tools "$WORK/tools.json" --connectors "$WORK/list-connectors.json")
"${SERVER_CPU[@]}" "$BIN/rmcp_peer" "${PEER_ARGS[@]}" --stateless >"$WORK/rmcp-stateless.out" 2>&1 &
PIDS+=($!)
RMCP_STATELESS_PID=$!
RMCP_STATELESS="$(wait_for_line "$WORK/rmcp-stateless.out" '^http://')"
"${SERVER_CPU[@]}" "$BIN/rmcp_peer" "${PEER_ARGS[@]}" >"$WORK/rmcp-session.out" 2>&1 &
PIDS+=($!)
RMCP_SESSION_PID=$!
RMCP_SESSION="$(wait_for_line "$WORK/rmcp-session.out" '^http://')"
log "rmcp peer: stateless mode $RMCP_STATELESS, session mode $RMCP_SESSION"

# The idle server's memory once the allocator had time to return what start-up freed (the
# bootstrap key's argon2 memory, the first catalog's parse).
sleep "${BENCH_SETTLE:-12}"
SETTLED_RSS_KIB="$(status_kib "$ACCESS_URL_PID" VmRSS)"

# CPU time (user + system, in clock ticks) process $1 has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load NAME CONCURRENCY ARGS... : one run, its JSON report appended to $WORK/results; with
# SERVER_PID set, also the CPU ticks that server used during the run (warm-up included).
load() {
  local name="$1" conc="$2"; shift 2
  log "$name (concurrency $conc, ${SECS}s)"
  local out before=0 after=0
  if [ -n "${SERVER_PID:-}" ]; then before="$(cpu_ticks "$SERVER_PID")"; fi
  out="$("${LOAD_CPU[@]}" "$BIN/mcp_load" --concurrency "$conc" --seconds "$SECS" --warmup "$WARMUP" "$@")"
  if [ -n "${SERVER_PID:-}" ]; then after="$(cpu_ticks "$SERVER_PID")"; fi
  # The audit-on server's resident memory and high-water mark after the case, so that the peak
  # can be put down to the case that made it.
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conc" "$out" "$((after - before))" \
    "$(status_kib "$ACCESS_URL_PID" VmRSS)" "$(status_kib "$ACCESS_URL_PID" VmHWM)" >>"$WORK/results"
}

# stateless_cases WHO URL CONCURRENCY: tools/list and list_connectors_alloy on 2026-07-28.
stateless_cases() {
  load "$1 stateless list" "$3" --url "$2" "${MCP_HEADERS[@]}" \
    --header 'mcp-method: tools/list' --body "$LIST_BODY" --expect-body '"tools"'
  load "$1 stateless call" "$3" --url "$2" "${MCP_HEADERS[@]}" \
    --header 'mcp-method: tools/call' --header 'mcp-name: list_connectors_alloy' \
    --body "$CONNECTORS_BODY" --expect-body '"connectors"' --reject-body '"isError":true'
}
# session_cases WHO URL CONCURRENCY: the same in 2025-06-18 sessions, one per load worker.
session_cases() {
  load "$1 session list" "$3" --url "$2" "${SESSION_HEADERS[@]}" --session 2025-06-18 \
    --body "$SESSION_LIST_BODY" --expect-body '"tools"'
  load "$1 session call" "$3" --url "$2" "${SESSION_HEADERS[@]}" --session 2025-06-18 \
    --body "$SESSION_CONNECTORS_BODY" --expect-body '"connectors"' --reject-body '"isError":true'
}
for conc in "${CONCS[@]}"; do
  load bare "$conc" --url "$BARE/" --header 'content-type: application/json' --body "$LIST_BODY" \
    --expect-body '"number":8'
  load bare_list "$conc" --url "$BARE_LIST/" --header 'content-type: application/json' \
    --body "$LIST_BODY" --expect-body '"tools"'
  stateless_cases alloy "$ACCESS_URL" "$conc"
  session_cases alloy "$ACCESS_URL" "$conc"
  stateless_cases rmcp "$RMCP_STATELESS" "$conc"
  session_cases rmcp "$RMCP_SESSION" "$conc"
done
# The audit trail's cost: both servers in alternation, the order reversed every round (on-off,
# off-on, on-off, …), so that neither a drift of the machine's speed nor going first weighs on
# one side; each server's own CPU time per request is recorded too.
for round in $(seq 1 "$AUDIT_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  for case in list execute; do
    for target in $order; do
      if [ "$target" = on ]; then url="$ACCESS_URL"; SERVER_PID="$ACCESS_URL_PID"
      else url="$NO_AUDIT_URL"; SERVER_PID="$NO_AUDIT_URL_PID"; fi
      if [ "$case" = list ]; then
        load "audit_${target}_list_$round" "$CONCURRENCY" --url "$url" "${MCP_HEADERS[@]}" \
          --header 'mcp-method: tools/call' --header 'mcp-name: list_connectors_alloy' \
          --body "$CONNECTORS_BODY" --expect-body '"connectors"' --reject-body '"isError":true'
      else
        load "audit_${target}_execute_$round" "$CONCURRENCY" --url "$url" "${MCP_HEADERS[@]}" \
          --header 'mcp-method: tools/call' --header 'mcp-name: execute_action_alloy' \
          --body "$EXECUTE_BODY" --expect-body '"number":8' --reject-body '"isError":true'
      fi
    done
  done
done
SERVER_PID=
for conc in "${CONCS[@]}"; do
  load direct "$conc" --url "$BARE/repos/octocat/hello-world/issues" \
    --header "authorization: Bearer $TOKEN" --header 'content-type: application/json' \
    --body '{"title":"Add dark mode"}' --expect-body '"number":8'
  load execute "$conc" --url "$ACCESS_URL" "${MCP_HEADERS[@]}" \
    --header 'mcp-method: tools/call' --header 'mcp-name: execute_action_alloy' \
    --body "$EXECUTE_BODY" --expect-body '"number":8' --reject-body '"isError":true'
done

{
  echo "ready_ms=$ACCESS_URL_READY_MS"
  echo "no_audit_ready_ms=$NO_AUDIT_URL_READY_MS"
  echo "ready_rss_kib=$ACCESS_URL_READY_RSS"
  echo "idle_rss_kib=$IDLE_RSS_KIB"
  echo "settled_rss_kib=$SETTLED_RSS_KIB"
  echo "peak_rss_kib=$(status_kib "$ACCESS_URL_PID" VmHWM)"
  echo "rmcp_stateless_peak_kib=$(status_kib "$RMCP_STATELESS_PID" VmHWM)"
  echo "rmcp_session_peak_kib=$(status_kib "$RMCP_SESSION_PID" VmHWM)"
} >"$WORK/facts"

python3 - "$WORK/results" "$(nproc)" "$(getconf CLK_TCK)" "$((SECS + WARMUP))" "${BENCH_PIN:-0}" \
  "$WORK/facts" "$PROFILE" "${BENCH_SETTLE:-12}" <<'EOF'
import json, statistics, sys

rows = {}
tick_us = 1e6 / int(sys.argv[3])
run_secs = int(sys.argv[4])  # a run's warm-up and measured seconds, when its CPU was counted
for line in open(sys.argv[1]):
    name, conc, report, ticks, rss, hwm = line.rstrip("\n").split("\t")
    r = json.loads(report)
    r["cpu_us"] = int(ticks) * tick_us
    r["rss_kib"], r["hwm_kib"] = int(rss), int(hwm)
    r["name"], r["conc"] = name, int(conc)
    rows[(name, int(conc))] = r
order = list(rows.values())  # in the order the cases ran
facts = dict(line.strip().split("=", 1) for line in open(sys.argv[6]) if "=" in line)
profile = sys.argv[7]

pinned = sys.argv[5] == "1"
print(f"\nMCP endpoint benchmark (loopback, " + ("servers on CPU 0, load generator on CPU 1)" if pinned else f"{sys.argv[2]} CPUs shared by servers and load generator)"))
if profile != "release":
    print(f"  profile {profile}: these figures mean nothing")
labels = {
    "bare": "bare hyper, fixed JSON",
    "bare_list": "bare hyper, alloy's tools/list bytes",
    "alloy stateless list": "alloy tools/list, 2026-07-28",
    "alloy stateless call": "alloy list_connectors, 2026-07-28",
    "alloy session list": "alloy tools/list, 2025-06-18 session",
    "alloy session call": "alloy list_connectors, 2025-06-18 session",
    "rmcp stateless list": "rmcp tools/list, stateless (2026-07-28)",
    "rmcp stateless call": "rmcp list_connectors, stateless",
    "rmcp session list": "rmcp tools/list, 2025-06-18 session",
    "rmcp session call": "rmcp list_connectors, 2025-06-18 session",
    "direct": "upstream called directly",
    "execute": "tools/call execute_action_alloy",
}
audit = {k: r for k, r in rows.items() if k[0].startswith("audit_")}
rows = {k: r for k, r in rows.items() if not k[0].startswith("audit_")}
concs = sorted({c for _, c in rows}, reverse=True)
high = concs[0]
print(f"{'case':<44}{'conc':>5}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
for conc in concs:
    for (name, c), r in rows.items():
        if c != conc:
            continue
        print(f"{labels[name]:<44}{conc:>5}{r['rps']:>11.0f}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}{r['errors']:>8}")
        if r["errors"]:
            print(f"    first error: {r['first_error']}")


def ratio(a, b, conc):
    ra, rb = rows.get((a, conc)), rows.get((b, conc))
    if not ra or not rb or not rb["rps"] or not rb["p50_ms"]:
        return "n/a"
    return f"{ra['rps'] / rb['rps']:5.2f}x req/s, p50 {ra['p50_ms'] / rb['p50_ms']:5.2f}x"


def compare(title, pairs):
    print(f"\n{title}")
    for label, a, b in pairs:
        print(f"  {label:<32}" + "   ".join(f"conc {c:>3}: {ratio(a, b, c)}" for c in concs))


print("\nRatios of issue 11, as measured (req/s over req/s; p50 over p50, lower is faster):")
compare(f"alloy over rmcp (target >= 1.5x req/s at concurrency {high}):", [
    ("stateless tools/list", "alloy stateless list", "rmcp stateless list"),
    ("stateless list_connectors", "alloy stateless call", "rmcp stateless call"),
    ("session tools/list", "alloy session list", "rmcp session list"),
    ("session list_connectors", "alloy session call", "rmcp session call"),
])
compare("alloy over the bare server answering the same bytes (target >= 0.6x req/s):", [
    ("tools/list, 2026-07-28", "alloy stateless list", "bare_list"),
    ("tools/list, 2025-06-18 session", "alloy session list", "bare_list"),
])
compare("alloy's session path over its stateless path (target within 10 %: 0.90x to 1.10x req/s):", [
    ("tools/list", "alloy session list", "alloy stateless list"),
    ("list_connectors", "alloy session call", "alloy stateless call"),
])

print("\nexecute_action_alloy over calling the upstream directly:")
for (name, conc), r in rows.items():
    if name == "execute":
        d = rows[("direct", conc)]
        print(f"  concurrency {conc:>3}: +{r['p50_ms'] - d['p50_ms']:.3f} ms p50, "
              f"+{r['p99_ms'] - d['p99_ms']:.3f} ms p99, {r['rps'] / d['rps']:.2f}x req/s")
if audit:
    print(f"\nThe audit trail's cost: tools/call at concurrency {list(audit)[0][1]}, audit on against off, "
          f"{len(audit) // 4} rounds each, alternating (on-off, off-on, ...)")
    print("  cost = 1 - (req/s on) / (req/s off); server CPU per request = the server's CPU time during a run")
    print("  over req/s x (warm-up + measured seconds)")
    for case, label in (("list", "list_connectors_alloy"), ("execute", "execute_action_alloy")):
        def runs(target):
            return [r for (n, _), r in sorted(audit.items()) if n.startswith(f"audit_{target}_{case}_")]
        on, off = runs("on"), runs("off")
        on_rps = statistics.mean(r["rps"] for r in on)
        off_rps = statistics.mean(r["rps"] for r in off)
        per_round = [1 - a["rps"] / b["rps"] for a, b in zip(on, off)]
        def cpu(rs):
            return sum(r["cpu_us"] for r in rs) / sum(r["rps"] * run_secs for r in rs)
        print(f"  {label:<24} on {on_rps:>8.0f} req/s, off {off_rps:>8.0f} req/s: cost {(1 - on_rps / off_rps) * 100:+.1f}% "
              f"(rounds: {', '.join(f'{c * 100:+.1f}%' for c in per_round)}; median {statistics.median(per_round) * 100:+.1f}%)")
        print(f"  {'':<24} server CPU per request: on {cpu(on):.1f} µs, off {cpu(off):.1f} µs "
              f"({(cpu(on) / cpu(off) - 1) * 100:+.1f}%); p99 {statistics.mean(r['p99_ms'] for r in on):.3f} "
              f"vs {statistics.mean(r['p99_ms'] for r in off):.3f} ms")


def mib(key):
    return f"{int(facts[key]) / 1024:.1f} MiB"


print("\nalloy-mcp-server start-up and memory (the audit-on server; targets of issue 11):")
print(f"  start to ready  {facts['ready_ms']:>6} ms   (target < 100 ms; spawn until GET /readyz answers 200, "
      f"fresh data dir; the audit-off server: {facts['no_audit_ready_ms']} ms)")
print(f"  RSS at ready    {mib('ready_rss_kib'):>9}   (target < 30 MiB; VmRSS as soon as /readyz answers 200, before any request)")
print(f"  idle RSS        {mib('idle_rss_kib'):>9}   (target < 30 MiB; VmRSS once started and set up through the API, before any load)")
print(f"  idle RSS later  {mib('settled_rss_kib'):>9}   (the same server idle for {sys.argv[8]} s more: what the allocator kept of start-up)")
print(f"  peak RSS        {mib('peak_rss_kib'):>9}   (target < 64 MiB under load; VmHWM after every load case, "
      f"concurrency up to {high})")
print("  the audit-on server's memory after each case, in the order they ran (VmRSS; VmHWM when it rose):")
last_hwm = int(facts["idle_rss_kib"])
for r in order:
    rose = f"   peak rose to {r['hwm_kib'] / 1024:.1f} MiB" if r["hwm_kib"] > last_hwm else ""
    last_hwm = max(last_hwm, r["hwm_kib"])
    print(f"    {r['name']:<28}{r['conc']:>4}{r['rss_kib'] / 1024:>9.1f} MiB{rose}")
print(f"  for comparison, the rmcp peer's peak RSS: stateless mode {mib('rmcp_stateless_peak_kib')}, "
      f"session mode {mib('rmcp_session_peak_kib')}")
EOF
