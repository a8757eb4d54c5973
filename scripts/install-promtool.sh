#!/usr/bin/env bash
# Puts Prometheus' promtool at .tools/prometheus/usr/bin/promtool (for `promtool check metrics` in tests)
# from Debian's prometheus package, unpacked rather than installed: no service, no users. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/prometheus
if [ -x "$dest/usr/bin/promtool" ]; then exit 0; fi
if command -v promtool >/dev/null 2>&1; then
  mkdir -p "$dest/usr/bin" && ln -sf "$(command -v promtool)" "$dest/usr/bin/promtool" && exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus; }; })
mkdir -p "$dest"
dpkg -x "$work"/prometheus_*.deb "$dest"
"$dest/usr/bin/promtool" --version | head -1
