#!/usr/bin/env bash
# Installs the Debian packages Cachet's tests and oracles need. Idempotent; starts no system service
# (the tests run private instances on 127.0.0.1). Waits for another apt to release its lock.
# --check: installs nothing; lists the missing packages and exits 1 when there are any.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS="systemd openssl libnss3-tools gpgsm gnupg slapd ldap-utils dovecot-imapd dovecot-lmtpd postfix softhsm2 opensc chromium neomutt python3 opendkim opendkim-tools dnsmasq"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done)
if [ "${1:-}" = "--check" ]; then
  [ -z "$missing" ] || { echo $missing; exit 1; }
  exit 0
fi
# Postfix asks a debconf question on install; answer it up front.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
if [ -n "$missing" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "system packages ok"
