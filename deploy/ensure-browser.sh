#!/usr/bin/env bash
# The browser the portal's end-to-end tests drive: Debian's chromium at /usr/bin/chromium.
# Playwright's own browser downloads are not used; the tests point it at this binary.
set -euo pipefail

BROWSER=/usr/bin/chromium

if [[ -x "$BROWSER" ]]; then
    exit 0
fi

if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1 && [[ -f /etc/debian_version ]]; then
    echo "installing chromium for the portal's browser tests" >&2
    "$(dirname "$0")/apt-install.sh" chromium
    if [[ -x "$BROWSER" ]]; then
        exit 0
    fi
fi

echo "missing: $BROWSER (install Debian's chromium package: apt-get install chromium)" >&2
exit 1
