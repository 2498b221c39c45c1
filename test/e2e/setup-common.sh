# shellcheck shell=bash
# Sourced by test/e2e/setup.sh and test/web/setup.sh: the logging, the argument parsing and the
# Chromium check both share. The caller sets LOG_TAG first and passes its arguments.
#   --with-chromium            also make sure Debian's chromium is there (the suite drives it)
#   NFRULES_CHROMIUM           the browser (default /usr/bin/chromium)
#   NFRULES_E2E_NO_APT=1       never run apt-get; fail with the command to run instead

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

WITH_CHROMIUM=0
for arg in "$@"; do
  case "$arg" in
    --with-chromium) WITH_CHROMIUM=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

command -v node >/dev/null || die "node is not installed"

CHROMIUM="${NFRULES_CHROMIUM:-/usr/bin/chromium}"
if [ "$WITH_CHROMIUM" = 1 ] && ! [ -x "$CHROMIUM" ]; then
  if [ "${NFRULES_E2E_NO_APT:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    die "$CHROMIUM is missing. Install it with: sudo apt-get install -y chromium"
  fi
fi
