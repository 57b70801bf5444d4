#!/usr/bin/env bash
# Part of `make setup`: makes sure the system Chromium that tests/test_browser.py drives is there.
# Present (the usual case): returns at once. Missing: installs Debian's `chromium` package when
# this machine allows it (root, or sudo without a password, and apt-get). Where it cannot, it
# says in one line that the browser tests will be skipped and succeeds; if the install itself
# fails it says why in one line, and fails only under CI=true.
set -uo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
HINT="sudo apt-get install -y chromium"

[ -x "$CHROMIUM" ] && exit 0

skip() {  # $1: why Chromium is not installed here
    echo "make setup: Chromium not found at $CHROMIUM and $1; the browser tests will be" \
         "skipped. Install it with: $HINT" >&2
    exit 0
}

if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=()
elif command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then
    AS_ROOT=(sudo -n)
else
    skip "installing it needs root or sudo without a password"
fi
command -v apt-get > /dev/null 2>&1 || skip "apt-get is not available to install it"

echo "make setup: installing Chromium for the browser tests (apt-get install chromium)..." >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if "${AS_ROOT[@]}" apt-get update -qq > "$log" 2>&1 &&
   "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -qq chromium >> "$log" 2>&1 && [ -x "$CHROMIUM" ]; then
    echo "make setup: Chromium installed at $CHROMIUM" >&2
    exit 0
fi

# One line: apt's last error ("E: ...") if it gave one, else the last line it wrote.
reason="$(grep -E '^(E|Err):' "$log" | tail -n 1)"
[ -n "$reason" ] || reason="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
[ -n "$reason" ] || reason="apt-get succeeded but $CHROMIUM is still missing"
if [ "${CI:-}" = "true" ]; then
    echo "make setup: installing Chromium failed ($reason); under CI=true the browser tests" \
         "must run, so setup fails. Install it with: $HINT" >&2
    exit 1
fi
echo "make setup: installing Chromium failed ($reason); the browser tests will be skipped." \
     "Install it with: $HINT" >&2
