#!/usr/bin/env bash
# Install what zkmig needs on a fresh Debian machine, then build. Safe to rerun: every step checks first.
#   - ZooKeeper 3.8 from Debian (tests, benchmarks and the sandbox run real servers), with the Netty
#     and slf4j jars its secured (TLS, SASL) servers need
#   - libsystemd-dev and g++ for the native journald binding (systemd-journald)
#   - MIT Kerberos: libkrb5-dev for the GSSAPI binding (kerberos), kinit (krb5-user) for zkmig's
#     Kerberos logins, and the KDC (krb5-kdc, krb5-admin-server) the tests start on loopback
#   - systemd itself, for the tests that boot a private systemd
#   - ansible, for the test that runs deploy/ansible's role against those private systemd hosts
#   - npm ci and npm run build
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
# The secured ZooKeeper servers of the tests and the sandbox (TLS on Netty, SASL, their refusals
# logged) put these jars on the class path (coordinator/lib/zk-server.ts, SECURE_EXTRA_JARS);
# zookeeper depends on both packages, checked anyway because a missing jar is skipped silently.
[ -f /usr/share/java/netty-codec.jar ] && [ -f /usr/share/java/netty-resolver.jar ] && [ -f /usr/share/java/netty-transport-native-unix-common.jar ] || need+=(libnetty-java)
[ -f /usr/share/java/slf4j-simple.jar ] || need+=(libslf4j-java)
dpkg -s libsystemd-dev >/dev/null 2>&1 || need+=(libsystemd-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v kinit >/dev/null 2>&1 || need+=(krb5-user)
[ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
[ -x /usr/sbin/kadmin.local ] || need+=(krb5-admin-server)
command -v make >/dev/null 2>&1 || need+=(make)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /lib/systemd/systemd ] || need+=(systemd)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# ansible-inventory and ansible-playbook: the tests check zkmig's inventory reading against Ansible's
# own, and install agents with the role in deploy/ansible.
{ command -v ansible-inventory >/dev/null 2>&1 && command -v ansible-playbook >/dev/null 2>&1; } || need+=(ansible)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need[*]}; run as root or install them: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v java >/dev/null 2>&1 || { echo "setup: java not found after installing zookeeper" >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
