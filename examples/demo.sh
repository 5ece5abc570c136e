#!/usr/bin/env bash
# pkm end to end on the bundled examples, offline: local feed files, and a feed and an article
# served from 127.0.0.1 by Python's own web server. Run it with `make demo`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# A home of its own, removed at the end, unless PKM_HOME names one to keep.
made_home=""
if [ -z "${PKM_HOME:-}" ]; then
  PKM_HOME=$(mktemp -d "${TMPDIR:-/tmp}/pkm-demo.XXXXXX")
  made_home=$PKM_HOME
fi
export PKM_HOME
# Bold command lines on a terminal only (and never with NO_COLOR): no escape codes in a log.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); else bold=""; plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$here/site" >/dev/null 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  if [ -n "$made_home" ]; then rm -rf "$made_home"; fi
}
trap cleanup EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/blog.html')" 2>/dev/null && break
  sleep 0.1
done

if [ -n "$made_home" ]; then
  echo "pkm home for this demo: $PKM_HOME (removed at the end; set PKM_HOME to keep one)"
else
  echo "pkm home for this demo: $PKM_HOME"
fi
step pkm seek add "$here/feeds/field-notes.xml" "$here/feeds/team-digest.atom" "$here/feeds/links.json" --tag demo
step pkm seek add "http://127.0.0.1:$port/blog.html" --tag web      # autodiscovery from a page
step pkm seek save "http://127.0.0.1:$port/article.html" --tag reading
step pkm seek                      # the cron job: nothing is due yet, so nothing is fetched
step pkm seek --all                # force a fetch of every source
step pkm seek list
step pkm sense inbox
step pkm seek export
echo
echo "The same inbox as JSON, for scripts:"
pkm sense inbox --json | python3 -c 'import json, sys; items = json.load(sys.stdin); print(f"{len(items)} items:", ", ".join(repr(i["title"]) for i in items))'
