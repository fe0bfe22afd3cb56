#!/usr/bin/env bash
# make-certs.sh: a private CA and the certificates zkmig's mTLS needs, made with openssl.
#
#   make-certs.sh [-d DIR] [--days N] [--force] ca [COMMON-NAME]
#   make-certs.sh [-d DIR] [--days N] [--force] agent HOST [SAN...]
#   make-certs.sh [-d DIR] [--days N] [--force] coordinator [NAME]
#
# What it makes (in DIR, default ./zkmig-pki):
#   ca.pem, ca-key.pem                    the CA. Keep ca-key.pem offline; every host gets ca.pem.
#   agent-HOST.pem, agent-HOST-key.pem    one per meta-server host; copy to that host only.
#                                         extendedKeyUsage=serverAuth, so the certificate cannot be
#                                         used as a client certificate against another agent.
#   coordinator-NAME.pem, -key.pem        the coordinator's client certificate (clientAuth only).
#
# SANs: HOST itself is always a SAN (IP: when it looks like an address, DNS: otherwise). Add more
# as `DNS:name`, `IP:addr` or bare names/addresses: the coordinator checks the agent's certificate
# against the host name or address it dials, so list every name and address it may use.
#
# Safe to rerun: an existing file is kept (and said so) unless --force is given. Keys are EC
# P-256, written 0600. Needs openssl >= 1.1.1. Run it on a trusted machine, not on every host.
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

DIR=./zkmig-pki
DAYS=825 # the longest leaf validity common TLS clients accept
CA_DAYS=3650
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    -d | --dir) DIR=$2; shift 2 ;;
    --days) DAYS=$2; shift 2 ;;
    --ca-days) CA_DAYS=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "make-certs: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$DAYS$CA_DAYS" in *[!0-9]*) echo "make-certs: --days/--ca-days must be positive integers" >&2; exit 2 ;; esac
command -v openssl >/dev/null || { echo "make-certs: openssl not found" >&2; exit 1; }

KIND=$1
shift
# A directory made here holds private keys: 0700. An existing one is the operator's: its mode is
# left alone (a 0755 /etc/zkmig-agent that a non-root agent user must traverse would break), and
# the keys themselves are 0600 whatever the directory.
if [ ! -d "$DIR" ]; then
  mkdir -p "$DIR"
  chmod 0700 "$DIR"
fi
umask 077
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 0600 "$1"; }

# Keep what exists unless --force; prints one line either way so reruns are easy to read.
keep() {
  if [ -e "$1" ] && [ "$FORCE" -eq 0 ]; then
    echo "make-certs: $1 exists, keeping it (--force to replace)"
    return 0
  fi
  return 1
}

is_ip() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $1 == *:* ]]; }

san_of() {
  case "$1" in
    DNS:* | IP:*) printf '%s' "$1" ;;
    *) if is_ip "$1"; then printf 'IP:%s' "$1"; else printf 'DNS:%s' "$1"; fi ;;
  esac
}

check_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._:-]*$ ]] || { echo "make-certs: invalid name '$1' (letters, digits, . _ : - only)" >&2; exit 2; }
}

# leaf NAME-PREFIX CN EKU SAN-LIST
leaf() {
  local base=$1 cn=$2 eku=$3 sans=$4
  [ -f "$DIR/ca.pem" ] && [ -f "$DIR/ca-key.pem" ] || { echo "make-certs: no CA in $DIR; run '$0 -d $DIR ca' first" >&2; exit 1; }
  keep "$DIR/$base.pem" && return 0
  newkey "$DIR/$base-key.pem"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } >"$TMP/ext.cnf"
  openssl req -new -key "$DIR/$base-key.pem" -subj "/O=zkmig/CN=$cn" -out "$TMP/req.csr" 2>/dev/null
  openssl x509 -req -in "$TMP/req.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$TMP/ext.cnf" \
    -out "$DIR/$base.pem" 2>/dev/null
  chmod 0644 "$DIR/$base.pem"
  echo "make-certs: wrote $DIR/$base.pem and $DIR/$base-key.pem (CN=$cn${sans:+, $sans})"
}

case "$KIND" in
  ca)
    cn=${1:-zkmig CA}
    keep "$DIR/ca.pem" && exit 0
    newkey "$DIR/ca-key.pem"
    openssl req -new -x509 -key "$DIR/ca-key.pem" -subj "/O=zkmig/CN=$cn" -days "$CA_DAYS" -sha256 \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$DIR/ca.pem" 2>/dev/null
    chmod 0644 "$DIR/ca.pem"
    echo "make-certs: wrote $DIR/ca.pem and $DIR/ca-key.pem (CN=$cn)"
    ;;
  agent)
    [ $# -ge 1 ] || { echo "make-certs: agent needs a HOST" >&2; exit 2; }
    host=$1
    shift
    check_name "$host"
    sans=$(san_of "$host")
    for s in "$@"; do sans="$sans,$(san_of "$s")"; done
    leaf "agent-$host" "$host" serverAuth "$sans"
    ;;
  coordinator)
    name=${1:-coordinator}
    check_name "$name"
    leaf "coordinator-$name" "$name" clientAuth ""
    ;;
  *)
    echo "make-certs: unknown kind '$KIND' (ca, agent or coordinator)" >&2
    exit 2
    ;;
esac
