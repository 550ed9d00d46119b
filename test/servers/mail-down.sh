#!/usr/bin/env bash
# mail-down.sh STATE_DIR — stops the Postfix and Dovecot started by mail-up.sh in STATE_DIR, and
# only those. Safe to run when start-up failed half-way.
set -uo pipefail
D=${1:?usage: mail-down.sh STATE_DIR}
stop_pid() { local pid=$1; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$pid" 2>/dev/null; }
if [ -f "$D/postfix/main.cf" ]; then
  postfix -c "$D/postfix" stop >/dev/null 2>&1 || true
  pid=$(tr -d ' ' < "$D/pf-queue/pid/master.pid" 2>/dev/null)
  [ -n "${pid:-}" ] && stop_pid "$pid"
fi
if [ -f "$D/dovecot/dovecot.conf" ]; then
  pid=$(cat "$D/dovecot/run/master.pid" 2>/dev/null)
  doveadm -c "$D/dovecot/dovecot.conf" stop >/dev/null 2>&1 || { [ -n "${pid:-}" ] && kill -TERM "$pid"; }
  [ -n "${pid:-}" ] && stop_pid "$pid"
fi
exit 0
