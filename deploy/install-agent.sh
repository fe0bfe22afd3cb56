#!/usr/bin/env bash
# install-agent.sh: install (or update) zkmig-agent on this host. Idempotent: rerun it as often as
# you like; it changes only what differs and says what it changed.
#
#   sudo deploy/install-agent.sh          # from a built checkout (npm ci && npm run build)
#
# Steps: copy the built agent (dist/agent, dist/shared, proto/, production node_modules,
# package.json) to $PREFIX; create the agent user (unless root) and the config and state
# directories; install $CONFIG from deploy/agent.yaml if there is none (never overwritten);
# validate the config; install the unit and its ReadWritePaths= drop-in; daemon-reload, enable,
# and start (or restart, when files or the unit changed).
#
# Environment (defaults in brackets):
#   SRC          built checkout to install from            [the directory above this script]
#   PREFIX       install directory                         [/opt/zkmig]
#   CONFIG       agent config                              [/etc/zkmig-agent/agent.yaml]
#   AGENT_USER   user the agent runs as; anything but root is created as a system user, and can
#                then only manage `command` services it may signal (systemd ones need root)  [root]
#   NODE         node binary (>= 20)                       [command -v node]
#   UNIT_DIR     where the unit goes                       [/etc/systemd/system]
#   SYSTEMCTL    systemctl binary                          [systemctl]
#   NO_SYSTEMCTL 1 = install files and unit but run no systemctl (image builds, chroots);
#                auto when /run/systemd/system does not exist (systemd is not running)  [auto]
#
# Output: one line per change, then a last line `install-agent: changed` or `install-agent: unchanged`.
# Exit: 0 installed (and running, unless systemctl is skipped); 1 error; 3 installed but the config
# is not valid yet (edit $CONFIG, rerun), so the agent was not started.
set -euo pipefail

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PREFIX=${PREFIX:-/opt/zkmig}
CONFIG=${CONFIG:-/etc/zkmig-agent/agent.yaml}
AGENT_USER=${AGENT_USER:-root}
NODE=${NODE:-$(command -v node || true)}
UNIT_DIR=${UNIT_DIR:-/etc/systemd/system}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
UNIT=zkmig-agent.service
if [ -z "${NO_SYSTEMCTL:-}" ]; then
  if [ -d /run/systemd/system ]; then NO_SYSTEMCTL=0; else NO_SYSTEMCTL=1; fi
fi

changed=0
files_changed=0
unit_changed=0
say() { echo "install-agent: $*"; }
change() { say "$*"; changed=1; }
die() { echo "install-agent: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs to $PREFIX, a unit to $UNIT_DIR and may create a user)"
[ -n "$NODE" ] && [ -x "$NODE" ] || die "node not found; set NODE=/path/to/node (>= 20)"
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "node $("$NODE" -v) is too old; zkmig needs >= 20"
[ -f "$SRC/dist/agent/main.js" ] || die "$SRC is not built: run 'npm ci && npm run build' there first"
[ -d "$SRC/node_modules/@grpc/grpc-js" ] || die "$SRC/node_modules is missing: run 'npm ci' there first"
# These go into the unit through sed and systemd's own quoting: allow only plain path characters
# (no spaces, no `&`, `|`, `%`, quotes), and refuse before anything is changed.
for v in PREFIX CONFIG NODE UNIT_DIR; do
  case "${!v}" in
    /*) ;;
    *) die "$v must be an absolute path: ${!v}" ;;
  esac
  [[ "${!v}" =~ ^[A-Za-z0-9._/+@-]+$ ]] || die "$v may contain only letters, digits and . _ / + @ -: ${!v}"
done
# Everything the root agent runs from must be writable by root only, up to /. A parent another
# user can write (without the sticky bit) lets that user swap the whole tree.
d=$PREFIX
while [ "$d" != / ]; do
  d=$(dirname "$d")
  if [ -e "$d" ]; then
    read -r uid perm <<<"$(stat -L -c '%u %a' "$d")"
    [ "$uid" -eq 0 ] || die "$d (a parent of PREFIX) is not owned by root; install somewhere only root can write"
    if (( 8#$perm & 8#022 )) && ! (( 8#$perm & 8#1000 )); then die "$d (a parent of PREFIX) is writable by group or others; install somewhere only root can write"; fi
  fi
done
# Only a PREFIX this script installed (or an empty or new one): it replaces $PREFIX/node_modules and
# $PREFIX/dist wholesale, which must never hit a shared directory such as /usr/local/lib.
MARKER=.zkmig-agent-install
if [ -d "$PREFIX" ] && [ -n "$(ls -A "$PREFIX")" ] && [ ! -e "$PREFIX/$MARKER" ] && [ ! -f "$PREFIX/dist/agent/main.js" ]; then
  die "$PREFIX exists, is not empty and was not installed by install-agent.sh; choose an own PREFIX (for example /opt/zkmig)"
fi

# --- files ------------------------------------------------------------------------------------
# Stage the wanted tree, then swap each part in only when it differs (so a rerun changes nothing).
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dist" "$stage/node_modules"
cp -a "$SRC/dist/agent" "$SRC/dist/shared" "$stage/dist/"
cp -a "$SRC/proto" "$stage/proto"
cp -a "$SRC/package.json" "$stage/package.json"
# Production dependencies only (not ava, typescript...): the packages `npm ls --omit=dev` lists.
if command -v npm >/dev/null 2>&1 && deps=$(cd "$SRC" && npm ls --omit=dev --all --parseable 2>/dev/null); then
  while IFS= read -r p; do
    case "$p" in "$SRC/node_modules/"*) rel=${p#"$SRC/"}; mkdir -p "$stage/$(dirname "$rel")"; [ -e "$stage/$rel" ] || cp -a "$p" "$stage/$rel" ;; esac
  done <<<"$deps"
else
  say "npm not found: copying all of node_modules"
  cp -a "$SRC/node_modules/." "$stage/node_modules/"
fi
# Installed files are root's whatever their owner in the checkout (cp -a would keep the build
# user's uid, and that user could then rewrite code that runs as root).
chown -R root:root "$stage"
chmod -R go-w "$stage"
mkdir -p "$PREFIX"
[ -e "$PREFIX/$MARKER" ] || : >"$PREFIX/$MARKER"
for part in dist proto node_modules package.json; do
  if ! diff -rq "$stage/$part" "$PREFIX/$part" >/dev/null 2>&1; then
    rm -rf "$PREFIX/$part.new"
    cp -a "$stage/$part" "$PREFIX/$part.new"
    rm -rf "$PREFIX/$part"
    mv "$PREFIX/$part.new" "$PREFIX/$part"
    change "installed $PREFIX/$part"
    files_changed=1
  fi
done
chmod 0755 "$PREFIX/dist/agent/main.js"
# Repair ownership and modes that differ (an older install, or someone's chown/chmod since): diff
# compares contents only.
wrong=$(find "$PREFIX" \( ! -user 0 -o ! -group 0 -o \( ! -type l -perm /022 \) \) -print 2>/dev/null | head -n 5)
if [ -n "$wrong" ]; then
  chown -R root:root "$PREFIX"
  chmod -R go-w "$PREFIX"
  change "made $PREFIX owned by root and writable by root only (was not: $(echo "$wrong" | tr '\n' ' '))"
fi

# --- user and directories ---------------------------------------------------------------------
if [ "$AGENT_USER" != root ] && ! id -u "$AGENT_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /var/lib/zkmig-agent --shell /usr/sbin/nologin "$AGENT_USER"
  change "created system user $AGENT_USER"
fi
group=$(id -gn "$AGENT_USER")
confdir=$(dirname "$CONFIG")
if [ ! -d "$confdir" ]; then
  install -d -m 0750 -o root -g "$group" "$confdir"
  change "created $confdir"
fi
if [ ! -f "$CONFIG" ]; then
  install -m 0640 -o root -g "$group" "$SRC/deploy/agent.yaml" "$CONFIG"
  change "installed the example config as $CONFIG: edit it (files, services, certificates)"
fi
# The config names the commands the root agent runs: root's alone to change.
for f in "$confdir" "$CONFIG"; do
  if [ "$(stat -c %u "$f")" -ne 0 ] || (( 8#$(stat -c %a "$f") & 8#022 )); then
    chown root "$f"
    chmod go-w "$f"
    change "made $f owned by root and writable by root only"
  fi
done

# --- config check (also gives the directories the unit must let the agent write) --------------
config_ok=1
if ! check=$("$NODE" "$PREFIX/dist/agent/main.js" --config "$CONFIG" --check-config 2>&1); then
  config_ok=0
  say "config not valid yet, the agent will not be started: $check"
fi
# With an invalid config there is nothing to create yet (never guess a directory).
paths=""
if [ "$config_ok" -eq 1 ]; then
  paths=$("$NODE" "$PREFIX/dist/agent/main.js" --config "$CONFIG" --write-paths)
fi
# Under ProtectSystem=strict the agent cannot create these itself (their parents are read-only).
while IFS= read -r d; do
  if [ -n "$d" ] && [ ! -d "$d" ]; then
    install -d -m 0750 -o "$AGENT_USER" -g "$group" "$d"
    change "created $d"
  fi
done <<<"$paths"

# --- unit and drop-in -------------------------------------------------------------------------
write_if_changed() { # path content description
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1"
    change "wrote $3 $1"
    unit_changed=1
  fi
}
# The agent's node flags live on the first line of main.js (`#!/usr/bin/env -S node FLAGS`).
flags=$(head -n 1 "$PREFIX/dist/agent/main.js" | sed -n 's|^#!/usr/bin/env -S node||p')
unit_text=$(sed -e "s|^ExecStart=.*|ExecStart=$NODE$flags $PREFIX/dist/agent/main.js --config $CONFIG|" \
  -e "s|^User=.*|User=$AGENT_USER|" "$SRC/deploy/zkmig-agent.service")
write_if_changed "$UNIT_DIR/$UNIT" "$unit_text" unit
dropin="# Generated by install-agent.sh from 'zkmig-agent --write-paths'; rerun it after editing $CONFIG.
[Service]"
while IFS= read -r d; do [ -n "$d" ] && dropin="$dropin
ReadWritePaths=-$d"; done <<<"$paths"
write_if_changed "$UNIT_DIR/$UNIT.d/write-paths.conf" "$dropin" drop-in

# --- systemd ----------------------------------------------------------------------------------
if [ "$NO_SYSTEMCTL" = 1 ]; then
  say "systemctl skipped (NO_SYSTEMCTL=1 or systemd not running): not enabled or started"
else
  if [ "$unit_changed" -eq 1 ]; then "$SYSTEMCTL" daemon-reload; say "systemctl daemon-reload"; fi
  # A unit installed under /run is enabled for this boot only (--runtime), so nothing is left in /etc.
  runtime=""
  case "$UNIT_DIR" in /run/*) runtime=--runtime ;; esac
  case "$("$SYSTEMCTL" is-enabled "$UNIT" 2>/dev/null || true)" in
    enabled | enabled-runtime) ;;
    *)
      "$SYSTEMCTL" enable $runtime "$UNIT" >/dev/null 2>&1
      change "enabled $UNIT${runtime:+ (runtime)}"
      ;;
  esac
  if [ "$config_ok" -eq 1 ]; then
    if [ "$("$SYSTEMCTL" is-active "$UNIT" 2>/dev/null || true)" != active ]; then
      "$SYSTEMCTL" start "$UNIT"
      change "started $UNIT"
    elif [ "$files_changed" -eq 1 ] || [ "$unit_changed" -eq 1 ]; then
      "$SYSTEMCTL" restart "$UNIT"
      change "restarted $UNIT to load the new files"
    fi
    # Type=simple: "started" only means forked; look again after a moment (ansible/ansible#24450).
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      state=$("$SYSTEMCTL" is-active "$UNIT" 2>/dev/null || true)
      [ "$state" = active ] || break
      sleep 0.3
    done
    if [ "$state" != active ]; then
      "$SYSTEMCTL" --no-pager status "$UNIT" >&2 || true
      die "$UNIT is $state after start; see journalctl -u $UNIT"
    fi
  fi
fi

if [ "$changed" -eq 1 ]; then say changed; else say unchanged; fi
[ "$config_ok" -eq 1 ] || exit 3
exit 0
