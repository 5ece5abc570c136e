#!/usr/bin/env bash
# Three people, one team folder under git, offline: each reads the same feed, Ana and Ben
# highlight and publish their week, and Cai's next `pkm seek` brings their highlights into
# Cai's own inbox, "shared by" them. Run it with `make demo` (after examples/demo.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pkm-team-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); else bold=""; plain=""; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

team="$work/team"
mkdir -p "$team"
git -C "$team" init -q
git -C "$team" -c user.name=team -c user.email=team@example.org commit -q --allow-empty -m "team folder"
week=$(date +%G-W%V)

for who in ana ben cai; do
  mkdir -p "$work/$who"
  printf '[share]\nauthor = "%s"\nfolder = "%s"\n' "$who" "$team" > "$work/$who/pkm.toml"
  pkm --home "$work/$who" seek add "$here/feeds/field-notes.xml" --quiet
done
echo "team folder: $team (a git work tree); homes: $work/{ana,ben,cai}"

first_item() { pkm --home "$work/$1" sense inbox --json | python3 -c '
import json, sys
print(next(i["id"] for i in json.load(sys.stdin) if i["title"].startswith(sys.argv[1])))' "$2"; }

ana_item=$(first_item ana "Seek, sense")
step pkm --home "$work/ana" sense annotate "$ana_item" --quiet \
  --highlight "seek every day, sense as you go" --comment "The rhythm we agreed on." --tag rhythm
ben_item=$(first_item ben "Seek, sense")
step pkm --home "$work/ben" sense annotate "$ben_item" --quiet \
  --highlight "Knowledge work stalls" --comment "Why we share at all."
step pkm --home "$work/ana" share publish --week "$week"
step pkm --home "$work/ben" share publish --week "$week"
step git -C "$team" log --format='%h %s'
step pkm --home "$work/cai" seek add "$team"        # every author's shared.atom but Cai's own
cai_item=$(first_item cai "Seek, sense")
step pkm --home "$work/cai" sense show "$cai_item" --no-mark
step pkm --home "$work/cai" sense search rhythm
echo
echo "The team page: $team/index.html (each author: $team/<author>/index.html, feed.atom, shared.atom)"
