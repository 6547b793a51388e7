#!/usr/bin/env bash
# The quick start asks for what serving needs and nothing the tests need:
#  - `scripts/setup --for run` (what scripts/run calls) lists no test tool
#    among its apt packages, and its steps are apt, at most Swagger UI's
#    files, and the build: no linter, no Chromium, no Kubernetes tools;
#  - scripts/run calls it that way, without the test suite (-DRETORT_TESTS=OFF:
#    cmocka is looked for only under tests/);
#  - `scripts/setup --for test` adds the test tools;
#  - README's quick start is exactly two commands: scripts/run, scripts/test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
fail() { echo "FAIL: $*"; exit 1; }

TEST_TOOLS=(libcmocka-dev clang libclang-rt-14-dev chromium nodejs npm wrk curl
            pgbouncer haproxy prometheus)
mapfile -t run_pkgs < <(scripts/setup --for run --print-packages)
[[ ${#run_pkgs[@]} -gt 0 ]] || fail "scripts/setup --for run lists no packages"
for p in "${run_pkgs[@]}"; do
    for t in "${TEST_TOOLS[@]}"; do
        [[ "$p" != "$t" ]] || fail "the run command installs the test tool $t"
    done
done
for need in libmicrohttpd-dev libjansson-dev libpq-dev postgresql-15 cmake; do
    grep -qx "$need" <<<"$(printf '%s\n' "${run_pkgs[@]}")" || fail "the run command does not install $need"
done
mapfile -t test_pkgs < <(scripts/setup --for test --print-packages)
for t in libcmocka-dev pgbouncer haproxy prometheus; do
    grep -qx "$t" <<<"$(printf '%s\n' "${test_pkgs[@]}")" || fail "the test command does not install $t"
done

# The steps of the run purpose.
while IFS= read -r step; do
    case "$step" in
    "apt-get install "*) ;;
    "cmake -S "*) [[ "$step" == *"-DRETORT_TESTS=OFF"* ]] || fail "run builds the tests: $step" ;;
    "scripts/docs-assets --serve-only") ;;
    *) fail "the run command would also run: $step" ;;
    esac
done < <(scripts/setup --for run --dry-run build --target retort -DRETORT_TESTS=OFF)
test_steps=$(scripts/setup --for test --dry-run build-test)
grep -qx "scripts/test-tools" <<<"$test_steps" || fail "the test command does not install the test tools"

grep -q 'scripts/setup --for run .*--target retort' scripts/run || fail "scripts/run does not use --for run"
grep -q -- '-DRETORT_TESTS=OFF' scripts/run || fail "scripts/run builds the test suite"
if grep -rn "CMOCKA" CMakeLists.txt >/dev/null; then fail "the top-level CMakeLists.txt needs cmocka"; fi

# README: the quick start block is exactly two commands.
block=$(awk '/^## Quick start/{q=1} q&&/^```sh/{f=1;next} f&&/^```/{exit} f' README.md)
cmds=$(printf '%s\n' "$block" | sed 's/#.*//' | grep -c '[^[:space:]]' || true)
[[ "$cmds" == 2 ]] || fail "README's quick start has $cmds commands, not 2"
grep -q '^scripts/run' <<<"$block" || fail "README's quick start does not start with scripts/run"
grep -q '^scripts/test' <<<"$block" || fail "README's quick start has no scripts/test"
[[ -f LICENSE ]] || fail "no LICENSE"
echo "ok: run installs ${#run_pkgs[@]} packages, none of them a test tool"
