#!/usr/bin/env bash
# CI: builds the container image from the Dockerfile, starts it on a fresh volume, waits until
# it is live and ready, checks that it runs as the non-root user and stops cleanly on SIGTERM,
# then removes everything it made. Without a Docker daemon it says so and passes: the image
# cannot be built here, and the rest of CI does not depend on it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "docker-image: SKIPPED — no Docker daemon on this machine (docker info failed)"
  exit 0
fi

log() { printf '\n==> %s\n' "$*"; }

run_id="alloy-ci-$$"
image="alloy-mcp-server:$run_id"
container="$run_id"
volume="$run_id"

cleanup() {
  docker rm -f "$container" >/dev/null 2>&1 || true
  docker volume rm "$volume" >/dev/null 2>&1 || true
  docker image rm "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail() {
  echo "docker-image: FAILED — $*" >&2
  docker logs "$container" >&2 2>&1 || true
  exit 1
}

log "docker build -t $image ."
DOCKER_BUILDKIT=1 docker build -t "$image" .

log "run on a fresh volume"
docker volume create "$volume" >/dev/null
docker run -d --name "$container" -v "$volume:/data" "$image" >/dev/null

# The image has no curl: probe with the binary's own healthcheck command, inside the
# container. /healthz answers as soon as the server listens, /readyz once the catalog is in.
wait_for() {
  local path=$1
  for _ in $(seq 1 120); do
    if [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ]; then
      fail "the container exited while waiting for $path"
    fi
    if docker exec "$container" alloy-mcp-server healthcheck \
      --url "http://127.0.0.1:8080$path" >/dev/null 2>&1; then
      echo "$path: 2xx"
      return 0
    fi
    sleep 1
  done
  fail "$path did not answer 2xx within 120 s"
}
wait_for /healthz
wait_for /readyz

uid=$(docker exec "$container" id -u)
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"
# The generated key files land on the volume, owned by the server's user.
docker exec "$container" test -O /data/encryption.key \
  || fail "/data/encryption.key is missing or not owned by uid 10001"

log "graceful stop (SIGTERM)"
docker stop -t 40 "$container" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
[ "$code" = 0 ] || fail "exit status $code after SIGTERM, expected 0"

echo "docker-image: OK"
