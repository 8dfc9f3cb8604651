#!/usr/bin/env bash
# Installs Debian packages for the test tools, the same way for each of them: waits for
# another apt or dpkg run to finish instead of failing on its lock, and finishes an
# installation that an interrupted run left half done.
# Usage: deploy/apt-install.sh PACKAGE...
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
LOCK_WAIT=(-o DPkg::Lock::Timeout=600)

dpkg --configure -a >/dev/null 2>&1 || true
apt-get "${LOCK_WAIT[@]}" update -qq
# Only the binaries are wanted: no package's own service is started here.
apt-get "${LOCK_WAIT[@]}" install -y -qq "$@" >/dev/null
