#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests of the dashboard.
#
# Why: tests/web drives a real headless browser with Playwright, which is told to use the
# system's Chromium (`executable_path`) and never downloads a browser build of its own. On a
# fresh Debian or Ubuntu machine (a CI runner, a dev container) this gets it there in one step.
#
#   sudo scripts/ensure-browser.sh      # prints the browser's path on stdout
#
# What it does, and stops at the first step that suffices:
#   1. /usr/bin/chromium exists (or CLUSTERHUB_CHROMIUM names an executable): nothing changes;
#   2. otherwise apt-get installs Debian's `chromium` package (non-interactive, quiet).
# Without root and without a browser it only says so and exits 0: the browser tests then fail
# with the reason in CI (CI=true) and are skipped locally.
# Safe to run again: every step checks first.
set -euo pipefail

BROWSER=${CLUSTERHUB_CHROMIUM:-/usr/bin/chromium}

say() { echo "ensure-browser: $*" >&2; }

if [ -x "$BROWSER" ]; then
    say "$BROWSER is there; nothing changed"
elif [ "$(id -u)" -ne 0 ]; then
    say "$BROWSER is missing and installing it needs root; run: sudo $0"
    exit 0
elif ! command -v apt-get >/dev/null 2>&1; then
    say "$BROWSER is missing and there is no apt-get to install Debian's chromium with"
    exit 0
else
    say "installing Debian's chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium >&2
    [ -x "$BROWSER" ] || { say "apt-get finished but $BROWSER is still missing"; exit 1; }
fi
echo "$BROWSER"
