#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test (unit and integration,
# with real ZooKeeper, gRPC over TLS and real processes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
