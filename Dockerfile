# Container image of alloy-mcp-server, compiled from this source tree (docs/deployment.md).
#
#   docker build -t alloy-mcp-server .
#
# The cache mounts need BuildKit, the default builder since Docker Engine 23.

FROM rust:1.95-slim-bookworm AS build
# aws-lc-sys (the crypto of rustls) and the bundled SQLite are C code; aws-lc-sys falls back
# to CMake on targets its cc build does not cover.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The target directory is a cache mount, absent from the layer: the binary leaves it in the
# same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p alloy-mcp-server \
 && install -D -m 0755 target/release/alloy-mcp-server /out/alloy-mcp-server

# Same Debian release as the build stage, so the glibc the binary was linked against is there.
FROM debian:bookworm-slim
# ca-certificates: connector calls over HTTPS verify servers against the system's root
# certificates (reqwest's platform verifier); without them every such call fails.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 alloy \
 && useradd --system --uid 10001 --gid alloy --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin alloy \
 && install -d -o alloy -g alloy -m 0700 /data
COPY --from=build /out/alloy-mcp-server /usr/local/bin/alloy-mcp-server

# A new named volume mounted here takes this directory's owner and mode; a bind mount does
# not (chown it to 10001:10001 on the host).
VOLUME ["/data"]
# The allocator commits memory on demand and returns freed pages at once: the binary's own
# settings (it re-executes itself to apply them when they are missing; set here, that is not
# needed). See docs/performance.md#memory.
ENV ALLOY_DATA_DIR=/data \
    ALLOY_BIND=0.0.0.0:8080 \
    MIMALLOC_ARENA_EAGER_COMMIT=0 \
    MIMALLOC_PURGE_DELAY=0
# Numeric, so that `runAsNonRoot` checks can see the user is not root.
USER 10001:10001
EXPOSE 8080

# The image has no curl: the binary probes its own readiness (2xx once the connector catalog
# is loaded and the database answers).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["alloy-mcp-server", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]

# Exec form: the server is PID 1 and receives SIGTERM itself (graceful shutdown); give
# `docker stop` more than ALLOY_SHUTDOWN_GRACE_SECS (`-t 40`; compose: stop_grace_period).
ENTRYPOINT ["alloy-mcp-server"]
CMD ["serve"]
