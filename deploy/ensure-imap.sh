#!/usr/bin/env bash
# The IMAP server the e-mail channel's polling tests start: Debian's dovecot-imapd
# (/usr/sbin/dovecot), run by the test itself with a configuration of its own.
set -euo pipefail

DOVECOT=/usr/sbin/dovecot

if [[ -x "$DOVECOT" ]]; then
    exit 0
fi

if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1 && [[ -f /etc/debian_version ]]; then
    echo "installing dovecot-imapd for the e-mail channel's IMAP tests" >&2
    "$(dirname "$0")/apt-install.sh" dovecot-imapd
    if [[ -x "$DOVECOT" ]]; then
        exit 0
    fi
fi

echo "missing: $DOVECOT (install Debian's dovecot-imapd package: apt-get install dovecot-imapd)" >&2
exit 1
