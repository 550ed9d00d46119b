#!/usr/bin/env bash
# mail-up.sh STATE_DIR PKI_DIR — a private Dovecot (IMAP, IMAPS, LMTP) and Postfix (SMTP with
# STARTTLS and SASL through Dovecot) on 127.0.0.1, for the integration tests. Nothing of the Debian
# system services is used; everything lives in STATE_DIR. Run as root.
# Ports from IMAP_PORT, IMAPS_PORT, SMTP_PORT, LMTP_PORT; users from MAIL_USERS (password = name)
# in MAIL_DOMAIN; the \\Sent folder's name from MAIL_SENT_FOLDER (default Sent); Postfix's milters from SMTPD_MILTERS. Writes STATE_DIR/env. Stop with mail-down.sh STATE_DIR.
set -euo pipefail
D=$(mkdir -p "${1:?usage: mail-up.sh STATE_DIR PKI_DIR}" && cd "$1" && pwd)
PKI=$(cd "${2:?usage: mail-up.sh STATE_DIR PKI_DIR}" && pwd)
: "${IMAP_PORT:?}" "${IMAPS_PORT:?}" "${SMTP_PORT:?}" "${LMTP_PORT:?}"
DOM=${MAIL_DOMAIN:-example.com}; USERS=${MAIL_USERS:-alice bob}
# The mail and postfix users must traverse STATE_DIR: 755 (mkdtemp makes 700).
chmod 755 "$D"
mkdir -p "$D/dovecot/run" "$D/dovecot/state" "$D/maildirs" "$D/postfix" "$D/pf-queue" "$D/pf-data"
chown mail:mail "$D/maildirs"; chown postfix:postfix "$D/pf-data"
: > "$D/dovecot/users"
for u in $USERS; do echo "$u:{PLAIN}$u" >> "$D/dovecot/users"; done
cat > "$D/dovecot/dovecot.conf" <<CONF
instance_name = cachet-test-$IMAP_PORT
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $D/dovecot/run
state_dir = $D/dovecot/state
log_path = $D/dovecot.log
ssl = yes
ssl_cert = <$PKI/localhost.pem
ssl_key = <$PKI/localhost.key
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# tests log in from 127.0.0.1 again and again: no growing delay after a failure
auth_failure_delay = 0
first_valid_uid = 8
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox ${MAIL_SENT_FOLDER:-Sent} {
    special_use = \\Sent
    auto = subscribe
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $D/dovecot/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$D/maildirs/%n allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
protocol lmtp {
  auth_username_format = %n
}
CONF
# daemons must not inherit our stdout/stderr, or a caller waiting for them to close would hang
dovecot -c "$D/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1
for u in $USERS; do echo "$u@$DOM OK"; done > "$D/postfix/vmailbox"
cat > "$D/postfix/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $D/pf-queue
data_directory = $D/pf-data
maillog_file = $D/postfix.log
maillog_file_prefixes = $D
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$DOM
mydomain = $DOM
myorigin = $DOM
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
alias_database =
relayhost =
default_transport = error:no delivery outside the test domain
virtual_mailbox_domains = $DOM
virtual_mailbox_maps = texthash:$D/postfix/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/dovecot/run/auth-postfix
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_tls_security_level = may
smtpd_tls_chain_files = $PKI/localhost.key, $PKI/localhost.pem
message_size_limit = 52428800
smtpd_error_sleep_time = 0
# a test must not wait minutes for a retry after a transient LMTP failure under load
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
CONF
# SMTPD_MILTERS (e.g. opendkim's inet:127.0.0.1:PORT): what it refuses or cannot do is a temporary failure, never a silent pass
if [ -n "${SMTPD_MILTERS:-}" ]; then printf 'smtpd_milters = %s\nmilter_default_action = tempfail\n' "$SMTPD_MILTERS" >> "$D/postfix/main.cf"; fi
cat > "$D/postfix/master.cf" <<CONF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
# postfix reports fatal errors only on a terminal: give it one
script -qec "postfix -c '$D/postfix' start" /dev/null > "$D/postfix-start.log" 2>&1 || { cat "$D/postfix-start.log" >&2; exit 1; }
# Up to a minute: a loaded CI machine starts Dovecot and Postfix slowly; an open port ends the wait.
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
wait_port "$IMAP_PORT"; wait_port "$IMAPS_PORT"; wait_port "$LMTP_PORT"; wait_port "$SMTP_PORT"
echo "mail servers up in $D"
