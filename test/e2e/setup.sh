#!/usr/bin/env bash
# Installs code-server (VS Code served to a browser, with the real extension
# host) from the npm registry into a cache outside the repository, and prints
# the path of its launcher on the last line of stdout. Idempotent: a second run
# finds the finished install and returns at once.
#
#   NFRULES_E2E_CACHE                cache folder (default: $HOME/.cache/nfrules-e2e)
#   NFRULES_CODE_SERVER_VERSION      default 4.100.3, the newest that runs on Node 20
#   NFRULES_E2E_NO_APT=1             never run apt-get; fail with the command to run instead
#
#   --with-chromium                  also make sure Debian's chromium is there (the e2e suite drives it)
#
# Why not a plain `npm install -g code-server`: its postinstall refuses root
# without --unsafe-perm, rebuilds every native module of lib/vscode, and
# @vscode/ripgrep downloads `rg` from the internet, which this machine cannot
# reach. So: install with --ignore-scripts, then do the postinstall's work by
# hand, rebuilding only the native modules the server loads, and use Debian's rg.
set -euo pipefail

LOG_TAG=e2e-setup
# shellcheck source=test/e2e/setup-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/setup-common.sh"

CS_VERSION="${NFRULES_CODE_SERVER_VERSION:-4.100.3}"
CACHE="${NFRULES_E2E_CACHE:-${HOME:-/tmp}/.cache/nfrules-e2e}"

NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
NODE_ABI="$(node -p 'process.versions.modules')"
if [ "$NODE_MAJOR" != 20 ] && [ "$CS_VERSION" = 4.100.3 ]; then
  die "code-server $CS_VERSION needs Node 20 (found $(node --version)); set NFRULES_CODE_SERVER_VERSION to a release made for your Node"
fi

DEST="$CACHE/code-server-$CS_VERSION-abi$NODE_ABI"
LAUNCHER="$DEST/node_modules/code-server/out/node/entry.js"
MARKER="$DEST/.nfrules-ready"

if [ -f "$MARKER" ] && [ -f "$LAUNCHER" ]; then
  echo "$LAUNCHER"
  exit 0
fi

# ---- Debian packages the native modules need to build -------------------
# kerberos links libkrb5/gssapi; node-gyp needs python3, make, g++; Debian's
# ripgrep stands in for the rg that @vscode/ripgrep would download.
APT_PACKAGES="python3 make g++ pkg-config libkrb5-dev ripgrep"
missing=""
command -v python3 >/dev/null || missing="$missing python3"
command -v make >/dev/null || missing="$missing make"
command -v g++ >/dev/null || missing="$missing g++"
command -v pkg-config >/dev/null || missing="$missing pkg-config"
command -v rg >/dev/null || missing="$missing ripgrep"
if ! [ -f /usr/include/gssapi/gssapi.h ] && ! [ -f /usr/include/gssapi.h ]; then
  missing="$missing libkrb5-dev"
fi
if [ -n "$missing" ]; then
  if [ "${NFRULES_E2E_NO_APT:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
  else
    die "missing build tools:$missing. Install them with: sudo apt-get install -y $APT_PACKAGES"
  fi
fi
RG="$(command -v rg)"

# ---- one install at a time per cache --------------------------------------
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null; then
  flock 9
fi
if [ -f "$MARKER" ] && [ -f "$LAUNCHER" ]; then
  echo "$LAUNCHER"
  exit 0
fi

STAGE="$(mktemp -d "$CACHE/.stage-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
START=$SECONDS

# npm settings for every step: no prompts, no audit, keep quiet.
export npm_config_yes=true npm_config_audit=false npm_config_fund=false \
  npm_config_update_notifier=false npm_config_loglevel=error
# Build against this node's own headers when the distribution ships them,
# instead of letting node-gyp download them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  export npm_config_nodedir=/usr
fi

log "installing code-server@$CS_VERSION into $DEST (first run only, ~1 minute)"
printf '{"name":"nfrules-e2e-code-server","private":true}\n' > "$STAGE/package.json"
(cd "$STAGE" && npm install --no-save --ignore-scripts "code-server@$CS_VERSION" >&2)

VSCODE="$STAGE/node_modules/code-server/lib/vscode"
[ -d "$VSCODE" ] || die "code-server@$CS_VERSION has no lib/vscode"

log "installing VS Code's server dependencies"
(cd "$VSCODE" && npm install --omit=dev --ignore-scripts >&2)
(cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts >&2)

log "building native modules"
(cd "$VSCODE" && npm rebuild @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty >&2)
# These two would first try to download a prebuilt binary: build straight away.
(cd "$VSCODE" && npm_config_build_from_source=true npm rebuild kerberos >&2)
(cd "$STAGE" && npm_config_build_from_source=true npm rebuild argon2 >&2)

# What code-server's postinstall.sh does besides installing:
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
ln -sfn "$RG" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$VSCODE/node_modules.asar"
ln -sfn code-linux.sh "$VSCODE/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VSCODE/bin/helpers/browser.sh"

# Check that every native module the server loads is there and loads.
for mod in @vscode/spdlog node-pty native-watchdog kerberos @parcel/watcher @vscode/deviceid; do
  (cd "$VSCODE" && node -e "require('$mod')") >&2 || die "native module $mod does not load"
done
(cd "$STAGE/node_modules/code-server" && node -e "require('argon2')") >&2 || die "argon2 does not load"
# (--config: otherwise it writes a default config into ~/.config/code-server)
version="$(node "$STAGE/node_modules/code-server/out/node/entry.js" --config "$STAGE/config.yaml" --version 2>/dev/null | grep -E "^[0-9]+\.[0-9]+\.[0-9]+ " | head -n1)"
rm -f "$STAGE/config.yaml"
case "$version" in "$CS_VERSION "*) ;; *) die "code-server --version printed: $version" ;; esac

printf 'code-server %s for node ABI %s, set up in %ss\n' "$CS_VERSION" "$NODE_ABI" $((SECONDS - START)) > "$STAGE/.nfrules-ready"
rm -rf "$DEST"
mv "$STAGE" "$DEST"
trap - EXIT
log "code-server $CS_VERSION ready in $((SECONDS - START))s"
echo "$LAUNCHER"
