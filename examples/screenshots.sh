#!/usr/bin/env bash
# Render a published team folder's pages to PNG with headless Chromium (Debian's `chromium`
# package), at a phone's and a desktop's width, in light and dark colours, to look at what
# pkm shows a person. Usage: examples/screenshots.sh TEAM_DIR [OUT_DIR]
set -euo pipefail
team=$(cd "${1:?usage: $0 TEAM_DIR [OUT_DIR]}" && pwd)
out=${2:-$team/.screenshots}
mkdir -p "$out"
browser=$(command -v chromium || command -v chromium-browser) || {
  echo "chromium not found: apt-get install chromium" >&2; exit 1; }
find "$team" -name '*.html' -not -path "$out/*" | sort | while read -r page; do
  name=$(realpath --relative-to="$team" "$page" | tr '/' '_')
  for width in 390 1280; do
    for scheme in light dark; do
      flags=()
      [ "$scheme" = dark ] && flags=(--force-dark-mode --blink-settings=preferredColorScheme=0)
      "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
        "${flags[@]}" --window-size="$width,1400" \
        --screenshot="$out/${name%.html}-$width-$scheme.png" "file://$page" 2>/dev/null
    done
  done
  echo "$out/${name%.html}-*.png"
done
