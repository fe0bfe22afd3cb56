#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test (unit and integration,
# with real ZooKeeper, gRPC over TLS, real processes and a private systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# ava's summary ("489 tests passed", "2 tests failed") as the plain closing line CI tools read.
passed=$(grep -oE '^ *[0-9]+ tests? passed' "$log" | grep -oE '[0-9]+' | tail -1)
failed=$(grep -oE '^ *[0-9]+ tests? failed' "$log" | grep -oE '[0-9]+' | tail -1)
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
