#!/usr/bin/env python3
"""Run or check every code block of README.md and docs/*.md, so that the docs cannot drift.

    python3 tests/docs/check_docs.py [path/to/alloy-mcp-server] [--only FILE ...] [-v]

The binary defaults to target/debug/alloy-mcp-server (relative to the repository root). One line
per block, `ok|fail|skip  file:line  kind  reason`, then a summary; exit status 1 when any block
fails, 2 on bad arguments. Standard library only; Python SDK blocks run with
tests/python/.venv/bin/python, TypeScript/JavaScript SDK blocks with node and tests/node/node_modules.

What happens to a block, by its language tag and content:

- `sh`/`bash`/`shell`/`console`: run with bash against a real server this script starts for the
  file (fresh data directory, free loopback port, `--upstream-allow 127.0.0.0/8`). The blocks of
  one file run in order and share their shell variables. Every `curl` also dumps its response
  headers: a block fails when a command fails or when any answer is not 2xx/3xx, unless a
  `expect-status` marker lists the non-2xx statuses the block shows on purpose.
  A block made only of client commands (`claude mcp add`, the MCP Inspector CLI) cannot run here
  (no client installed): its shape is checked (transport, URL `/mcp/<serverId>[/<token>]`,
  headers) and the URL and headers it configures are then used for a real MCP request.
- `python` importing `mcp`: run with the SDK's venv. `ts`/`js`/`mjs` importing
  `@modelcontextprotocol/sdk`: every import path must exist in tests/node/node_modules, then the
  block runs with node as an ES module (TypeScript-only syntax falls back to the import check).
- `json`: must parse. A JSON object with `mcpServers` is a client configuration (Cursor, Claude
  Desktop with `mcp-remote`): shape-checked, then its URL and headers are used for a real MCP
  request. `http`: an HTTP message (status line, headers, JSON body).
- `rust`: every `use alloy_x::{…}` item and `Type::function` must exist in that crate's sources.
- The output sample of `alloy-mcp-server doctor` is compared with the real command's output.
- Other blocks naming `alloy-mcp-server <command> …` (synopses, transcripts, skipped blocks):
  every subcommand and flag must exist (`--help`), and repository paths they name must exist.
- Anything else (`text`, `yaml`, `nginx`, untagged diagrams and output samples): skipped,
  "not a command".

Markers: an HTML comment on the line right before the fence.

    <!-- docs-check: skip (reason) -->           cannot run here; the reason is reported
    <!-- docs-check: partial (reason) -->        JSON with elisions: bare `…` for left-out
                                                 items and `a | b` for alternatives
    <!-- docs-check: expect-status 400 [...] --> the non-2xx statuses this sh block shows

Variables every runnable block gets (the docs may rely on them; the prose says so):

    BASE            the server's base URL (http://127.0.0.1:<port>)
    ALLOY_API_KEY   an API key of account `default`, user `default` (the bootstrap key)
    ALLOY_DATA_DIR  the server's data directory, so CLI commands act on its database
    PATH            starts with a folder holding `alloy-mcp-server`

Example values the docs use, replaced in runnable blocks by the real ones:

    cargo run --release -p alloy-mcp-server --   alloy-mcp-server
    paste the key here                           the API key
    http://127.0.0.1:8080, https://mcp.example.com   $BASE
    sales-bot-a1b2c3d4, mcp_token_…              the server "Sales Bot" of user `user-42` and its
                                                 access token (docs/mcp.md creates it first)
    <key id>                                     the ID of the newest API key
    path/to/openapi-documents                    a folder with one small OpenAPI document
    <new>, <old>                                 a fresh encryption key, the data dir's key
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "docs_check_bootstrap_key_0123456789"
SHELL_LANGS = {"sh", "bash", "shell", "console"}
JS_LANGS = {"ts", "typescript", "js", "javascript", "mjs"}
TOOLS = [
    "list_connectors_alloy", "get_connector_resources_alloy", "get_action_details_alloy",
    "execute_action_alloy", "create_credential_alloy", "get_credentials_alloy",
    "get_credential_metadata_alloy", "discover_action_path_alloy",
]
# Tool calls whose documented answer needs no platform and no stored credential: run, and the
# answer shown in the next block is compared with the real one.
READ_ONLY_TOOLS = {"list_connectors_alloy", "get_connector_resources_alloy", "get_action_details_alloy",
                   "get_credential_metadata_alloy", "discover_action_path_alloy"}
EXAMPLE_SERVER = {"id": "sales-bot-a1b2c3d4", "name": "Sales Bot", "owner": "user-42"}
MCP_URL_PATH = re.compile(r"^/mcp/[a-z0-9]+(?:-[a-z0-9]+)*(?:/(mcp_token_[A-Za-z0-9]+|mcp_token_…))?/?$")
MARKER = re.compile(r"^\s*<!--\s*docs-check:\s*([a-z-]+)\s*(.*?)\s*-->\s*$")
BLOCK_TIMEOUT = 60
VERBOSE = False
LAST_OUTPUT = [""]  # what the last block run printed, shown with -v


@dataclass
class Block:
    file: str
    line: int
    lang: str
    body: str
    marker: str | None = None
    marker_arg: str = ""
    kind: str = "parse"  # what the check of this block is: run | shape | parse | skip

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Result:
    status: str  # ok | fail | skip
    block: Block
    kind: str  # run | shape | parse | skip
    reason: str
    detail: str = ""


class Failure(Exception):
    """A check that failed; the message is the one-line reason, `detail` what to look at."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.detail = detail


# --------------------------------------------------------------------------- extraction


def extract(rel: str) -> list[Block]:
    lines = (ROOT / rel).read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3).lower()
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*" + re.escape(fence) + r"\s*$", lines[j]):
            j += 1
        body = "\n".join(l[indent:] if l[:indent].strip() == "" else l.lstrip() for l in lines[i + 1 : j])
        b = Block(rel, i + 1, lang, body)
        mm = MARKER.match(lines[i - 1]) if i > 0 else None
        if mm:
            b.marker, arg = mm.group(1), mm.group(2)
            b.marker_arg = arg[1:-1] if arg.startswith("(") and arg.endswith(")") else arg
        blocks.append(b)
        i = j + 1
    return blocks


# --------------------------------------------------------------------------- the server


class Server:
    """The real binary on a free loopback port with a fresh data directory."""

    def __init__(self, binary: Path, tmp: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="server-", dir=tmp))
        self.data = self.dir / "data"
        self.out = self.dir / "stdout"
        self.err = self.dir / "stderr"
        env = dict(os.environ, ALLOY_BOOTSTRAP_API_KEY=KEY, ALLOY_LOG="warn")
        for var in ("DATABASE_URL", "REDIS_URL", "ALLOY_PUBLIC_URL", "ALLOY_ENCRYPTION_KEY", "ALLOY_JWT_SECRET"):
            env.pop(var, None)
        self.proc = subprocess.Popen(
            [str(binary), "--data-dir", str(self.data), "--bind", "127.0.0.1:0", "--upstream-allow", "127.0.0.0/8"],
            stdout=self.out.open("wb"), stderr=self.err.open("wb"), stdin=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + 30
        self.base = ""
        while time.monotonic() < deadline:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.out.read_text(errors="replace"))
            if m:
                self.base = m.group(1)
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.base:
            self.stop()
            raise RuntimeError(f"the server did not start: {self.err.read_text(errors='replace')[-2000:]}")
        while time.monotonic() < deadline:
            try:
                if http("GET", self.base + "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server never became ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def http(method: str, url: str, headers: dict[str, str] | None = None, body: object = None, timeout: float = 20):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


def mcp_request(url: str, headers: dict[str, str], method: str, params: dict | None = None) -> dict:
    """initialize (2025-11-25), then `method` in that session, then end it; the JSON-RPC result."""
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers}
    status, h, text = http("POST", url, base, {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "docs-check", "version": "1"}}})
    if status != 200:
        raise Failure(f"initialize answered {status}", text[:500])
    sid = next((v for k, v in h.items() if k.lower() == "mcp-session-id"), None)
    session = {**base, "Mcp-Session-Id": sid or "", "MCP-Protocol-Version": "2025-11-25"}
    try:
        http("POST", url, session, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        status, _, text = http("POST", url, session, {"jsonrpc": "2.0", "id": 2, "method": method, "params": params or {}})
        answer = json.loads(text) if text else {}
        if status != 200 or "error" in answer:
            raise Failure(f"{method} answered {status}", text[:500])
        result = answer.get("result", {})
        if result.get("isError"):
            raise Failure(f"{method} answered a tool error", text[:500])
        return result
    finally:
        http("DELETE", url, session)


# --------------------------------------------------------------------------- context


class Context:
    """What one file's runnable blocks share: the server, the shell state, the substitutions."""

    def __init__(self, binary: Path, tmp: Path, rel: str):
        self.binary = binary
        self.tmp = tmp
        self.rel = rel
        self._server: Server | None = None
        self.work = Path(tempfile.mkdtemp(prefix="work-", dir=tmp))
        self.state = self.work / ".docs-check-state"
        bindir = tmp / "bin"
        bindir.mkdir(exist_ok=True)
        link = bindir / "alloy-mcp-server"
        if not link.exists():
            link.symlink_to(binary)
        self.bindir = bindir
        self._example: tuple[str, str] | None = None
        self._tool_url: str | None = None
        self.tool_answer: tuple[Block, object] | None = None  # the last tool call run, and its answer

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = Server(self.binary, self.tmp)
        return self._server

    def close(self) -> None:
        if self._server:
            self._server.stop()

    def env(self) -> dict[str, str]:
        s = self.server
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLOY_", "DATABASE_URL", "REDIS_URL"))}
        env.update(BASE=s.base, ALLOY_API_KEY=KEY, ALLOY_DATA_DIR=str(s.data),
                   PATH=f"{self.bindir}:{os.environ.get('PATH', '')}", ALLOY_LOG="warn")
        return env

    def example_server(self) -> tuple[str, str]:
        """The ID and access token of the docs' example server, once a block has created it."""
        if self._example is None:
            status, _, text = http("GET", self.server.base + "/api/servers?limit=1000",
                                   {"Authorization": f"Bearer {KEY}", "x-alloy-userid": EXAMPLE_SERVER["owner"]})
            found = [s for s in json.loads(text).get("servers", [])] if status == 200 else []
            found = [s for s in found if s["name"] == EXAMPLE_SERVER["name"]]
            if not found:
                raise Failure(f"no server {EXAMPLE_SERVER['name']!r} of user {EXAMPLE_SERVER['owner']!r}: "
                              "the block that creates the example server must come first")
            token = found[0]["accessUrl"].rsplit("/", 1)[1]
            self._example = (found[0]["serverId"], token)
        return self._example

    def tool_url(self) -> str:
        """The token URL of a server of this check's own, for the tool-call examples."""
        if self._tool_url is None:
            status, _, text = http("POST", self.server.base + "/api/servers",
                                   {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
                                   {"name": "Docs Check Tools"})
            if status != 201:
                raise Failure(f"creating the tool-call server answered {status}", text)
            self._tool_url = json.loads(text)["accessUrl"]
        return self._tool_url

    def openapi_folder(self) -> Path:
        folder = self.tmp / "openapi-documents"
        if not folder.exists():
            folder.mkdir()
            (folder / "acme-crm.json").write_text(json.dumps({
                "openapi": "3.0.3",
                "info": {"title": "Acme CRM", "version": "1.0.0", "x-alloy-id": "acme-crm"},
                "servers": [{"url": "https://crm.acme.example/api"}],
                "paths": {"/contacts": {"get": {"operationId": "listContacts", "summary": "List contacts",
                                                "responses": {"200": {"description": "The contacts"}}}}},
            }))
        return folder

    def substitute(self, text: str, shell: bool) -> str:
        base = self.server.base
        text = text.replace("cargo run --release -p alloy-mcp-server --", "alloy-mcp-server")
        text = text.replace("paste the key here", KEY)
        text = text.replace("http://127.0.0.1:8080", base).replace("https://mcp.example.com", base)
        if EXAMPLE_SERVER["id"] in text or "mcp_token_…" in text:
            sid, token = self.example_server()
            text = text.replace(EXAMPLE_SERVER["id"], sid).replace("mcp_token_…", token)
        text = text.replace("path/to/openapi-documents", str(self.openapi_folder()))
        if shell:
            text = text.replace("<key id>", '"$(alloy-mcp-server keys list | tail -n 1 | cut -f1)"')
            text = text.replace("<new>", '"$(openssl rand -base64 32)"')
            text = text.replace("<old>", '"$(cat "$ALLOY_DATA_DIR/encryption.key")"')
        return text


# --------------------------------------------------------------------------- checks


def run_shell(block: Block, ctx: Context) -> str:
    env = ctx.env()
    hdr = Path(tempfile.mkdtemp(prefix="headers-", dir=ctx.tmp))
    script = ctx.work / "block.sh"
    script.write_text(
        f'source {shlex.quote(str(ctx.state))} 2>/dev/null || true\n'
        f'trap \'declare -p > {shlex.quote(str(ctx.state))} 2>/dev/null\' EXIT\n'
        f'curl() {{ command curl -D "{hdr}/$(date +%s%N)" "$@"; }}\n'
        'set -eo pipefail\n'
        + ctx.substitute(block.body, shell=True) + "\n"
    )
    try:
        p = subprocess.run(["bash", str(script)], cwd=ctx.work, env=env, capture_output=True, text=True,
                           timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {BLOCK_TIMEOUT} s")
    output = (p.stdout + p.stderr)[-3000:]
    LAST_OUTPUT[0] = output
    if p.returncode != 0:
        raise Failure(f"bash exited {p.returncode}", output)
    statuses = []
    for f in sorted(hdr.iterdir()):
        codes = re.findall(r"^HTTP/[\d.]+ (\d{3})", f.read_text(errors="replace"), re.M)
        if codes:
            statuses.append(int(codes[-1]))
    unexpected = sorted(s for s in statuses if s >= 400)
    expected = sorted(int(x) for x in block.marker_arg.split()) if block.marker == "expect-status" else []
    if unexpected != expected:
        raise Failure(f"HTTP statuses {statuses}: non-2xx {unexpected}, expected {expected or 'none'}", output)
    n = len(statuses)
    return f"ran; {n} HTTP answer{'s' if n != 1 else ''}" + (f", {expected} as marked" if expected else "") if n else "ran"


def run_python(block: Block, ctx: Context) -> str:
    py = ROOT / "tests/python/.venv/bin/python"
    if not py.exists():
        raise Failure("tests/python/.venv is missing (pip install -r tests/python/requirements.txt)")
    path = ctx.work / "block.py"
    path.write_text(ctx.substitute(block.body, shell=False))
    try:
        p = subprocess.run([str(py), str(path)], cwd=ctx.work, env=ctx.env(), capture_output=True, text=True,
                           timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {BLOCK_TIMEOUT} s")
    LAST_OUTPUT[0] = (p.stdout + p.stderr)[-3000:]
    if p.returncode != 0:
        raise Failure(f"python exited {p.returncode}: {last_line(p.stderr)}", (p.stdout + p.stderr)[-3000:])
    return "ran with the Python SDK"


def check_js_imports(body: str) -> list[str]:
    sdk = ROOT / "tests/node/node_modules/@modelcontextprotocol/sdk"
    if not sdk.exists():
        raise Failure("tests/node/node_modules is missing (npm ci in tests/node)")
    exports = json.loads((sdk / "package.json").read_text())["exports"]
    found = []
    for spec in re.findall(r"""from\s+["']([^"']+)["']""", body):
        if not spec.startswith("@modelcontextprotocol/sdk"):
            raise Failure(f"imports {spec!r}, not the SDK installed in tests/node")
        sub = "." + spec[len("@modelcontextprotocol/sdk"):]
        target = exports.get(sub, {}).get("import") if sub in exports else exports["./*"]["import"].replace("*", sub[2:])
        if not (sdk / target).is_file():
            raise Failure(f"import path {spec!r} does not exist in @modelcontextprotocol/sdk")
        found.append(spec)
    if not found:
        raise Failure("no import from @modelcontextprotocol/sdk")
    return found


def run_node(block: Block, ctx: Context) -> str:
    imports = check_js_imports(block.body)
    nm = ctx.work / "node_modules"
    if not nm.exists():
        nm.symlink_to(ROOT / "tests/node/node_modules")
    path = ctx.work / "block.mjs"
    path.write_text(ctx.substitute(block.body, shell=False))
    try:
        p = subprocess.run(["node", str(path)], cwd=ctx.work, env=ctx.env(), capture_output=True, text=True,
                           timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {BLOCK_TIMEOUT} s")
    LAST_OUTPUT[0] = (p.stdout + p.stderr)[-3000:]
    if p.returncode != 0:
        if "SyntaxError" in p.stderr and block.lang in ("ts", "typescript"):
            return f"TypeScript-only syntax: imports checked ({len(imports)}), not run"
        raise Failure(f"node exited {p.returncode}: {last_line(p.stderr)}", (p.stdout + p.stderr)[-3000:])
    return f"ran with the TypeScript SDK ({len(imports)} imports exist)"


def last_line(text: str) -> str:
    """The line that says what went wrong: the last exception line (`SomeError: …`), else the last."""
    lines = [l.strip(" |") for l in text.strip().splitlines() if l.strip(" |")]
    errors = [l for l in lines if re.match(r"^[\w.]*(Error|Exception)\b.*: ", l) and "ExceptionGroup" not in l]
    return (errors or lines or [""])[-1][:300]


# ---- client configurations


def expand(value: str, env: dict[str, str]) -> str:
    """${env:NAME} (Cursor), ${NAME} and $NAME (shells, mcp-remote) from env; unknown: a failure."""

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in env:
            raise Failure(f"${name} is not defined")
        return env[name]

    return re.sub(r"\$\{env:(\w+)\}|\$\{(\w+)\}|\$(\w+)", sub, value)


def check_endpoint(url: str, headers: dict[str, str], what: str) -> None:
    """The shape every client's server entry must have."""
    m = re.match(r"^(https?)://([^/\s]+)(/\S*)$", url)
    if not m:
        raise Failure(f"{what}: {url!r} is not an http(s) URL")
    if not MCP_URL_PATH.match(m.group(3)):
        raise Failure(f"{what}: URL path {m.group(3)!r} is neither /mcp/<serverId> nor /mcp/<serverId>/<accessToken>")
    names = {k.lower(): v for k, v in headers.items()}
    for k in names:
        if not re.fullmatch(r"[A-Za-z0-9-]+", k):
            raise Failure(f"{what}: header name {k!r} is malformed")
    token_url = "mcp_token_" in m.group(3)
    if not token_url:
        auth = names.get("authorization", "")
        if not (auth.startswith("Bearer ") or names.get("x-alloy-user-token")):
            raise Failure(f"{what}: the server's url without a token needs Authorization: Bearer <key>")
        owner = EXAMPLE_SERVER["owner"]
        if EXAMPLE_SERVER["id"] in url and names.get("x-alloy-userid") != owner:
            raise Failure(f"{what}: {EXAMPLE_SERVER['id']} is private to {owner!r}; "
                          f"an API key acting as anyone else gets 404 (send x-alloy-userid: {owner})")


def probe(url: str, headers: dict[str, str], ctx: Context, env: dict[str, str], method: str = "tools/list",
          params: dict | None = None) -> dict:
    real_url = ctx.substitute(url, shell=False)
    real_headers = {k: expand(ctx.substitute(v, shell=False).replace("alloy_…", KEY), env) for k, v in headers.items()}
    return mcp_request(real_url, real_headers, method, params)


def check_mcp_servers(config: dict, block: Block, ctx: Context) -> str:
    servers = config.get("mcpServers")
    if not isinstance(servers, dict) or not servers:
        raise Failure("mcpServers must be a non-empty object")
    notes = []
    for name, entry in servers.items():
        what = f"mcpServers.{name}"
        if not isinstance(entry, dict):
            raise Failure(f"{what} must be an object")
        if "url" in entry:  # Cursor, VS Code style remote entry
            headers = entry.get("headers", {})
            if not isinstance(entry["url"], str) or not isinstance(headers, dict) or \
                    not all(isinstance(v, str) for v in headers.values()):
                raise Failure(f"{what}: url must be a string and headers an object of strings")
            check_endpoint(entry["url"], headers, what)
            env = dict(ctx.env())
            probe(entry["url"], headers, ctx, env)
            notes.append(f"{name}: url+headers")
        elif "command" in entry:  # Claude Desktop: a local bridge
            args, env_map = entry.get("args", []), entry.get("env", {})
            if not isinstance(entry["command"], str) or not isinstance(args, list) or \
                    not all(isinstance(a, str) for a in args) or not isinstance(env_map, dict):
                raise Failure(f"{what}: command must be a string, args an array of strings, env an object")
            if "mcp-remote" not in args:
                raise Failure(f"{what}: only mcp-remote bridges are checked")
            rest = args[args.index("mcp-remote") + 1:]
            if not rest or not rest[0].startswith("http"):
                raise Failure(f"{what}: mcp-remote needs the server URL right after it")
            url, headers, i = rest[0], {}, 1
            while i < len(rest):
                if rest[i] == "--header":
                    if i + 1 >= len(rest) or ":" not in rest[i + 1]:
                        raise Failure(f"{what}: --header wants 'Name:value'")
                    k, v = rest[i + 1].split(":", 1)
                    headers[k] = v.strip()
                    i += 2
                else:
                    i += 1
            for var in re.findall(r"\$\{(\w+)\}", " ".join(args)):
                if var not in env_map:
                    raise Failure(f"{what}: args use ${{{var}}} but env does not set it")
            env = {**ctx.env(), **{k: ctx.substitute(str(v), False).replace("alloy_…", KEY) for k, v in env_map.items()}}
            check_endpoint(url, {k: expand(v, env) for k, v in headers.items()}, what)
            probe(url, headers, ctx, env)
            notes.append(f"{name}: mcp-remote")
        else:
            raise Failure(f"{what} needs url (remote) or command+args (local bridge)")
    return "client config (" + ", ".join(notes) + "); its URL and headers answered tools/list"


def shell_commands(body: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and blanks dropped."""
    cmds, cur = [], ""
    for raw in body.split("\n"):
        line = raw.rstrip()
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        cmds.append(cur.strip())
        cur = ""
    if cur.strip():
        cmds.append(cur.strip())
    return cmds


def is_client_command(cmd: str) -> bool:
    return cmd.startswith("claude ") or bool(re.match(r"npx\s+(-y\s+)?@modelcontextprotocol/inspector(@\S+)?\s", cmd))


def check_client_commands(block: Block, ctx: Context) -> str:
    env = ctx.env()
    notes = []
    for cmd in shell_commands(block.body):
        words = shlex.split(re.sub(r"\s+#.*$", "", cmd))
        if words[0] == "claude":
            if words[1:3] != ["mcp", "add"]:
                raise Failure(f"unknown claude command: {cmd[:80]}")
            opts = {"--transport": None}
            headers, positional, i = {}, [], 3
            while i < len(words):
                w = words[i]
                if w in ("--transport", "-t"):
                    opts["--transport"] = words[i + 1]
                    i += 2
                elif w in ("--header", "-H"):
                    k, sep, v = words[i + 1].partition(":")
                    if not sep:
                        raise Failure(f"--header wants 'Name: value', got {words[i + 1]!r}")
                    headers[k.strip()] = v.strip()
                    i += 2
                elif w in ("--scope", "-s", "--env", "-e"):
                    i += 2
                elif w.startswith("-"):
                    raise Failure(f"claude mcp add has no option {w}")
                else:
                    positional.append(w)
                    i += 1
            if opts["--transport"] != "http":
                raise Failure("claude mcp add needs --transport http for a Streamable HTTP server")
            if len(positional) != 2:
                raise Failure(f"claude mcp add wants <name> <url>, got {positional}")
            url = positional[1]
            check_endpoint(url, {k: expand(v, env) for k, v in headers.items()}, "claude mcp add")
            probe(url, headers, ctx, env)
            notes.append("claude mcp add")
        else:  # the MCP Inspector CLI
            args = words[words.index(next(w for w in words if w.startswith("@modelcontextprotocol/inspector"))) + 1:]
            if "--cli" not in args:
                raise Failure("the Inspector needs --cli to run one request from the shell")
            url, transport, method, tool, tool_args, headers, i = None, None, None, None, {}, {}, 0
            while i < len(args):
                w = args[i]
                if w == "--cli":
                    i += 1
                    continue
                val = args[i + 1] if i + 1 < len(args) else None
                if w == "--transport":
                    transport = val
                elif w == "--method":
                    method = val
                elif w == "--tool-name":
                    tool = val
                elif w == "--tool-arg":
                    k, _, v = val.partition("=")
                    try:
                        tool_args[k] = json.loads(v)
                    except json.JSONDecodeError:
                        tool_args[k] = v
                elif w == "--header":
                    k, sep, v = val.partition(":")
                    if not sep:
                        raise Failure(f"--header wants 'Name: value', got {val!r}")
                    headers[k.strip()] = v.strip()
                elif w == "--server-url":
                    url = val
                elif not w.startswith("-") and url is None:
                    url = w
                    i += 1
                    continue
                else:
                    raise Failure(f"unexpected Inspector argument {w!r}")
                i += 2
            if transport != "http":
                raise Failure("the Inspector needs --transport http for a Streamable HTTP server")
            if url is None or method not in ("tools/list", "tools/call"):
                raise Failure("the Inspector wants a URL and --method tools/list or tools/call")
            check_endpoint(url, {k: expand(v, env) for k, v in headers.items()}, "inspector")
            if method == "tools/call":
                if tool not in TOOLS:
                    raise Failure(f"--tool-name {tool!r} is not one of the eight tools")
                probe(url, headers, ctx, env, "tools/call", {"name": tool, "arguments": tool_args})
            else:
                probe(url, headers, ctx, env)
            notes.append(f"inspector {method}")
    return "client commands (" + ", ".join(notes) + "); each configured URL and headers answered"


# ---- CLI invocations named in blocks that are not run


_help_cache: dict[tuple[str, ...], str] = {}


def binary_help(binary: Path, path: tuple[str, ...]) -> str:
    if path not in _help_cache:
        p = subprocess.run([str(binary), *path, "--help"], capture_output=True, text=True, timeout=20)
        _help_cache[path] = p.stdout if p.returncode == 0 else ""
    return _help_cache[path]


def subcommands(help_text: str) -> set[str]:
    m = re.search(r"^Commands:\n((?:  .*\n)+)", help_text, re.M)
    return {l.split()[0] for l in m.group(1).splitlines()} if m else set()


def check_cli_invocations(text: str, binary: Path, anchored: bool = False) -> int:
    """Every `alloy-mcp-server …` in text (with `anchored`, only at the start of a line, after an
    optional `$ ` prompt): its subcommands and flags exist. Returns how many."""
    count = 0
    start = r"(?:^|(?<=^\$ ))" if anchored else r"(?<![\w/.-])"
    for m in re.finditer(start + r"alloy-mcp-server((?:[ \t]+(?:\\\n[ \t]*)?[^\s|;&>'\"`)#]+)*)", text, re.M):
        words = [w for w in re.split(r"[ \t\\\n]+", m.group(1)) if w]
        path: list[str] = []
        flags: list[str] = []
        for w in words:
            w = w.strip("[]")
            if w.startswith("--"):
                flags.append(w.split("=")[0])
            elif w.startswith("-") or not w:
                continue
            elif not flags and w in subcommands(binary_help(binary, tuple(path))):
                path.append(w)
        if not path and not flags:
            continue  # the name alone: a package, an image, a prose mention
        count += 1
        help_text = binary_help(binary, tuple(path))
        if not help_text:
            raise Failure(f"`alloy-mcp-server {' '.join(path)} --help` fails")
        for f in flags:
            if not re.search(r"(?<![\w-])" + re.escape(f) + r"(?![\w-])", help_text):
                raise Failure(f"`alloy-mcp-server {' '.join(path)}` has no flag {f}")
    return count


def check_repo_paths(body: str) -> int:
    n = 0
    for cmd in shell_commands(body):
        words = cmd.split()
        for i, w in enumerate(words):
            if re.fullmatch(r"(?:deploy|benches|\.ci|tests|crates)/[\w./-]+", w):
                if words[0] == "cp" and i == len(words) - 1:
                    continue  # the copy's target
                if not (ROOT / w).exists():
                    raise Failure(f"names {w}, which does not exist in the repository")
                n += 1
    return n


# ---- Rust


def check_rust(body: str) -> str:
    crates = {}
    for toml in list(ROOT.glob("crates/*/Cargo.toml")) + list(ROOT.glob("bins/*/Cargo.toml")):
        name = tomllib.loads(toml.read_text())["package"]["name"].replace("-", "_")
        crates[name] = toml.parent / "src"
    checked = 0
    for crate, items in re.findall(r"use\s+(alloy_\w+)::\{?([\w\s,]+)\}?;", body):
        src = crates.get(crate)
        if src is None:
            raise Failure(f"no crate {crate} in crates/ or bins/")
        text = "\n".join(p.read_text() for p in src.rglob("*.rs"))
        for item in [i.strip() for i in items.split(",") if i.strip()]:
            if not re.search(r"\bpub\s+(?:async\s+)?(?:fn|struct|enum|trait|type|const|use)\b[^;{]*\b" + item + r"\b", text):
                raise Failure(f"{crate} has no public {item}")
            checked += 1
        for ty, fn in re.findall(r"\b([A-Z]\w*)::([a-z_]\w*)\(", body):
            if not re.search(r"\bpub\s+(?:async\s+)?(?:const\s+)?fn\s+" + fn + r"\b", text):
                raise Failure(f"{crate}: no public fn {ty}::{fn}")
            checked += 1
        for method in re.findall(r"\.([a-z_]\w*)\(", body):
            if method in ("ok", "as_deref", "await"):
                continue
            if not re.search(r"\bfn\s+" + method + r"\b", text):
                raise Failure(f"{crate}: no method {method}")
            checked += 1
    if not checked:
        raise Failure("no `use alloy_…` item to check")
    return f"Rust: {checked} items exist in the crate's sources (not compiled)"


# ---- JSON and HTTP


def lenient_json(body: str) -> object:
    """JSON with the documented elisions: a bare `…` for left-out items, `a | b` for alternatives."""
    text = re.sub(r'\s*\|\s*"[^"]*"(?:\s*:\s*\[[^\]]*\])?', "", body)
    text = re.sub(r'(?<=[\[,])\s*…\s*(?=[\],])', ' "…" ', text)
    return json.loads(text)


def compare_answer(doc: object, real: object, call: str) -> str:
    """The documented answer of a tool call has the real answer's fields (two levels deep)."""
    if not isinstance(doc, dict) or not isinstance(real, dict):
        raise Failure(f"the answer of {call} is {type(real).__name__}, the doc shows {type(doc).__name__}")
    checked = 0
    for path, d, r in [("", doc, real)] + [
        (f"{k}[0].", doc[k][0], real[k][0]) for k in doc
        if isinstance(doc.get(k), list) and isinstance(real.get(k), list) and doc[k] and real[k]
        and isinstance(doc[k][0], dict) and isinstance(real[k][0], dict)
    ]:
        missing, extra = sorted(set(r) - set(d)), sorted(set(d) - set(r))
        if missing or extra:
            raise Failure(f"fields differ from the real answer of {call}: "
                          f"not shown {[path + m for m in missing]}, not in the answer {[path + e for e in extra]}")
        checked += len(d)
    return f"the answer of {call} has exactly these fields ({checked}, two levels deep)"


def check_http_message(body: str) -> str:
    head, _, payload = body.partition("\n\n")
    lines = head.split("\n")
    m = re.fullmatch(r"HTTP/(1\.1|2) (\d{3}) [A-Za-z ]+", lines[0])
    if not m:
        raise Failure(f"not an HTTP status line: {lines[0]!r}")
    for l in lines[1:]:
        if not re.fullmatch(r"[A-Za-z0-9-]+: .+", l):
            raise Failure(f"not a header line: {l!r}")
    if payload.strip():
        try:
            json.loads(payload)
        except json.JSONDecodeError as e:
            raise Failure(f"the body is not JSON: {e}")
    return f"HTTP message ({m.group(2)}, {len(lines) - 1} header(s), JSON body)"


# ---- doctor's output sample


def check_doctor_sample(body: str, ctx: Context) -> str:
    s = ctx.server
    addr = s.base.removeprefix("http://")
    p = subprocess.run([str(ctx.binary), "doctor", "--data-dir", str(s.data), "--bind", addr],
                       capture_output=True, text=True, timeout=30, env=ctx.env())
    got = p.stdout.replace(str(s.data), "./data").replace(addr, "127.0.0.1:8080").strip().split("\n")
    want = body.strip().split("\n")
    if got != want:
        diff = "\n".join(f"- {w}\n+ {g}" for w, g in zip(want, got) if w != g)
        raise Failure("differs from `alloy-mcp-server doctor` on a data dir in use by a server", diff or "\n".join(got))
    return "output sample equals the real `doctor` output (data dir and port in use)"


def check_startup_sample(body: str, ctx: Context) -> str:
    """The first start's standard output, on an empty database without a bootstrap key."""
    data = Path(tempfile.mkdtemp(prefix="first-start-", dir=ctx.tmp))
    env = {k: v for k, v in ctx.env().items() if not k.startswith("ALLOY_")}
    proc = subprocess.Popen([str(ctx.binary), "--data-dir", str(data), "--bind", "127.0.0.1:0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    got: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while len(got) < len(body.strip().split("\n")) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            got.append(line.rstrip("\n"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    port = re.search(r"127\.0\.0\.1:(\d+)", "\n".join(got))
    norm = [re.sub(r"\balloy_[A-Za-z0-9]{40}\b", "alloy_…", l) for l in got]
    if port:
        norm = [l.replace(f"127.0.0.1:{port.group(1)}", "127.0.0.1:8080") for l in norm]
    want = [re.sub(r"\balloy_\w*…", "alloy_…", l) for l in body.strip().split("\n")]
    if norm != want:
        raise Failure("differs from the first start's standard output", "\n".join(got))
    return "output sample equals the first start's standard output (key and port aside)"


# --------------------------------------------------------------------------- dispatch


def classify_and_check(block: Block, ctx: Context) -> Result:
    def ok(kind: str, reason: str) -> Result:
        return Result("ok", block, kind, reason)

    lang, body = block.lang, block.body
    block.kind = "skip" if block.marker == "skip" else "shape" if lang in ("rust", "text", "") else \
        "run" if lang in SHELL_LANGS | JS_LANGS | {"python", "py"} else "parse"
    if lang in SHELL_LANGS and block.marker != "skip" and all(is_client_command(c) for c in shell_commands(body)):
        block.kind = "shape"
    if block.marker == "skip":
        if not block.marker_arg:
            raise Failure("a skip marker needs a reason: <!-- docs-check: skip (reason) -->")
        n = check_cli_invocations(body, ctx.binary)
        p = check_repo_paths(body) if lang in SHELL_LANGS else 0
        extra = f"; {n} alloy-mcp-server command(s) and {p} repository path(s) exist" if n or p else ""
        return Result("skip", block, "skip", block.marker_arg + extra)
    if lang in SHELL_LANGS:
        cmds = shell_commands(body)
        if cmds and all(is_client_command(c) for c in cmds):
            return ok("shape", check_client_commands(block, ctx))
        return ok("run", run_shell(block, ctx))
    if lang in ("python", "py"):
        if not re.search(r"^\s*(from|import)\s+mcp\b", body, re.M):
            return Result("skip", block, "skip", "not a command (Python without the MCP SDK)")
        return ok("run", run_python(block, ctx))
    if lang in JS_LANGS:
        return ok("run", run_node(block, ctx))
    if lang == "json":
        try:
            value = lenient_json(body) if block.marker == "partial" else json.loads(body)
        except json.JSONDecodeError as e:
            raise Failure(f"not JSON: {e}" + ("" if block.marker == "partial" else
                          " (mark deliberate elisions with <!-- docs-check: partial (reason) -->)"))
        if isinstance(value, dict) and set(value) == {"name", "arguments"} and value["name"] in TOOLS:
            if value["name"] not in READ_ONLY_TOOLS:
                return ok("parse", "JSON; a tool call that needs a platform or a stored credential, not run")
            block.kind = "run"
            answer = mcp_request(ctx.tool_url(), {}, "tools/call", value)
            ctx.tool_answer = (block, answer.get("structuredContent"))
            return ok("run", f"tools/call {value['name']} answered; the next block is compared with its answer")
        if ctx.tool_answer and ctx.tool_answer[0] is not block:
            call, answer = ctx.tool_answer
            ctx.tool_answer = None
            block.kind = "shape"
            return ok("shape", compare_answer(value, answer, call.where))
        if isinstance(value, dict) and "mcpServers" in value:
            block.kind = "shape"
            return ok("shape", check_mcp_servers(value, block, ctx))
        if block.marker == "partial":
            return ok("parse", f"JSON with elisions ({block.marker_arg})")
        return ok("parse", "JSON")
    if lang == "http":
        return ok("parse", check_http_message(body))
    if lang == "toml":
        tomllib.loads(body)
        return ok("parse", "TOML")
    if lang == "rust":
        return ok("shape", check_rust(body))
    if lang in ("text", "") and re.match(r"^(ok|warn|fail) {2,}\w", body):
        return ok("shape", check_doctor_sample(body, ctx))
    if lang in ("text", "") and body.startswith("Created the first API key"):
        return ok("shape", check_startup_sample(body, ctx))
    if lang in ("text", "") and "alloy-mcp-server" in body:
        n = check_cli_invocations(body, ctx.binary, anchored=True)
        if n:
            return ok("shape", f"{n} alloy-mcp-server command line(s): every subcommand and flag exists")
    what = {"": "an untagged diagram or sample", "text": "text", "yaml": "YAML (no stdlib parser)",
            "nginx": "nginx configuration"}.get(lang, lang)
    return Result("skip", block, "skip", f"not a command ({what})")


def main(argv: list[str]) -> int:
    global VERBOSE
    args = [a for a in argv if not a.startswith("-")]
    only = []
    if "--only" in argv:
        only = argv[argv.index("--only") + 1:]
        args = [a for a in args if a not in only]
    VERBOSE = "-v" in argv
    if len(args) > 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    binary = Path(args[0]).resolve() if args else ROOT / "target/debug/alloy-mcp-server"
    if not os.access(binary, os.X_OK):
        print(f"error: no executable {binary} (cargo build -p alloy-mcp-server)", file=sys.stderr)
        return 2
    files = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
    if only:
        files = [f for f in files if f in only]
    started = time.monotonic()
    results: list[Result] = []
    tmp = Path(tempfile.mkdtemp(prefix="alloy-docs-check-"))
    try:
        for rel in files:
            ctx = Context(binary, tmp, rel)
            try:
                for block in extract(rel):
                    LAST_OUTPUT[0] = ""
                    if ctx.tool_answer and block.lang != "json":
                        ctx.tool_answer = None
                    try:
                        r = classify_and_check(block, ctx)
                        r.detail = LAST_OUTPUT[0]
                    except Failure as e:
                        r = Result("fail", block, block.kind, str(e), e.detail)
                    except Exception as e:  # a bug of this script, or a server that died
                        r = Result("fail", block, block.kind, f"{type(e).__name__}: {e}")
                    results.append(r)
                    print(f"{r.status:<4}  {r.block.where:<24}  {r.kind:<5}  [{block.lang or '-'}] {r.reason}", flush=True)
                    if r.detail and (r.status == "fail" or VERBOSE):
                        print("      | " + r.detail.strip().replace("\n", "\n      | "), flush=True)
            finally:
                ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    count = lambda **kw: sum(all(getattr(r, k) == v for k, v in kw.items()) for r in results)
    failed = count(status="fail")
    print(f"\n{len(results)} blocks in {len(files)} files, {time.monotonic() - started:.1f} s: "
          f"{count(status='ok', kind='run')} run, {count(status='ok', kind='shape')} shape-checked, "
          f"{count(status='ok', kind='parse')} parsed, {count(status='skip')} skipped, {failed} failed")
    print(f"{count(status='ok') + count(status='skip')} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
