#!/usr/bin/env bash
# What the container files promise, checked without building an image
# (an image build needs a container runtime and minutes; CI has neither to
# spare): the health check follows the configured port, the binary is a
# stripped release build, no test configuration goes into the image, and
# compose builds the image once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/deploy"
fail() { echo "FAIL: $*"; exit 1; }

hc=$(sed -n '/^HEALTHCHECK/,/^[^ ]/p' Dockerfile)
[[ "$hc" == *'${RETORT_SERVER_PORT:-${RETORT_PORT:-8080}}'* ]] || fail "the health check does not follow the configured port"
grep -q 'CMAKE_BUILD_TYPE=Release' Dockerfile || fail "not a release build"
grep -q 'strip ' Dockerfile || fail "the binary is not stripped"
if grep -Eq '^COPY +config/ ' Dockerfile; then fail "the whole config/ directory (test configs included) is copied"; fi
grep -q '^COPY config/retort.json ' Dockerfile || fail "the example configuration is not copied"
grep -qx 'config/test' Dockerfile.dockerignore || fail "config/test is not ignored"
grep -qx 'tests' Dockerfile.dockerignore || fail "tests/ is not ignored"
grep -Eq '^USER [0-9]+' Dockerfile || fail "USER is not numeric (runAsNonRoot cannot check a name)"
builds=$(grep -c '^    build:' docker-compose.yml || true)
[[ "$builds" == 1 ]] || fail "compose builds the image $builds times"
echo "ok: Dockerfile and compose"
