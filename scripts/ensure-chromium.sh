#!/usr/bin/env bash
# The browser test drives Debian's Chromium; npm cannot bring a browser here, so the test command installs it.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium from Debian's packages for the browser test..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "The browser test needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH); install it, e.g. apt-get install chromium." >&2
exit 1
