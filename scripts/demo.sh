#!/usr/bin/env bash
# The README's first command. On a fresh Debian machine: install what is missing and build; start a
# sandbox (two local ZooKeeper servers, three simulated Pegasus meta servers each run by its own
# zkmig agent over mutual TLS, simulated replica servers with tables); migrate the cluster to the
# new ensemble with the copy method (`zkmig migrate`, whose summary gives the write-freeze window
# and a per-host recap); show its health on the new ensemble; tear the sandbox down, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

zkmig() { node dist/coordinator/cli.js "$@"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zkmig-demo.XXXXXX")
SANDBOX="$WORK/sandbox"
export ZKMIG_STATE_DIR="$WORK/state"
cleanup() {
  echo
  echo "== zkmig sandbox down"
  zkmig sandbox down --dir "$SANDBOX" --purge || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== zkmig sandbox up"
zkmig sandbox up --dir "$SANDBOX" --json >"$WORK/sandbox.json"
field() { node -e 'process.stdout.write(String(require(process.argv[1])[process.argv[2]]))' "$WORK/sandbox.json" "$1"; }
INVENTORY=$(field inventory)
CLUSTER=$(field cluster)
OLD=$(field oldZk)
NEW=$(field newZk)
ROOT=$(field clusterRoot)
echo "cluster $CLUSTER runs on ZooKeeper $OLD$ROOT; migrating it to $NEW (inventory $INVENTORY)"
export ZKMIG_INVENTORY="$INVENTORY"

echo
echo "== zkmig migrate --cluster $CLUSTER --to $NEW --method copy --yes"
zkmig migrate --cluster "$CLUSTER" --to "$NEW" --method copy --yes

echo
echo "== zkmig health --cluster $CLUSTER --expect-zk $NEW$ROOT"
zkmig health --cluster "$CLUSTER" --expect-zk "$NEW$ROOT"
