#!/usr/bin/env bash
# pkm end to end on the bundled examples, offline: local feed files, and a feed and an article
# served from 127.0.0.1 by Python's own web server. Run it with `make demo`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PKM_HOME=${PKM_HOME:-$(mktemp -d "${TMPDIR:-/tmp}/pkm-demo.XXXXXX")}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$here/site" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/blog.html')" 2>/dev/null && break
  sleep 0.1
done

echo "pkm home for this demo: $PKM_HOME"
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
