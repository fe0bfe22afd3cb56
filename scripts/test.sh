#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test (unit and integration,
# with real ZooKeeper, gRPC over TLS, real processes and a private systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The walls and the lint (eslint.config.mjs) first: a broken wall fails CI before any test runs.
npm run lint --silent
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# A plain closing line for CI tools that read one. ava prints "N tests passed" only when nothing
# failed, so count its per-test marks; grep exits 1 on no match, hence `|| true` under set -e.
passed=$(grep -c '✔' "$log" || true)
failed=$(grep -oE '^ *[0-9]+ tests? failed' "$log" | grep -oE '[0-9]+' | tail -1 || true)
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
