#!/usr/bin/env bash
# Installs everything podwall needs, idempotently: Debian packages, npm dependencies, the build.
# `npm run demo` and `npm test` both call it, so a fresh clone needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  log "Node.js >= 20 is required (found $(node --version))"; exit 1
fi

# Debian packages, one per line in scripts/apt-packages.txt (comments allowed). Only missing ones are installed.
missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/apt-packages.txt)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then log "missing packages (${missing[*]}): run as root or install them"; exit 1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm dependencies: reinstall when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# The libnftables addon (native/): rebuilt only when the .node file is missing or older than its sources.
addon=native/build/Release/podwall_nft.node
if [ ! -f "$addon" ] || [ -n "$(find native/binding.gyp native/src -newer "$addon" 2>/dev/null)" ]; then
  log "building the libnftables addon"
  gyp_args=()
  # Node's own headers when the distribution ships them (no download needed).
  [ -f /usr/include/node/node_api.h ] && gyp_args+=(--nodedir=/usr)
  (cd native && ../node_modules/.bin/node-gyp rebuild "${gyp_args[@]}" >&2)
fi

# Build (incremental: only changed files are recompiled).
node_modules/.bin/tsc -p tsconfig.json >&2

# The web UI (ui/, served by `podwall ui`): type-checked and built by Vite into dist/ui, only when a source
# is newer than the last build.
ui_index=dist/ui/index.html
if [ ! -f "$ui_index" ] || [ -n "$(find ui src/flows src/ui/protocol.ts package-lock.json -newer "$ui_index" -type f 2>/dev/null | head -1)" ]; then
  log "building the web UI"
  node_modules/.bin/tsc -p ui/tsconfig.json >&2
  node_modules/.bin/vite build --config ui/vite.config.mjs >&2
fi
