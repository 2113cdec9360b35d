#!/usr/bin/env bash
# Installs what Checkout needs on a Debian machine, idempotently and without prompting:
# system packages from apt, npm packages for the gRPC interop tests, NuGet packages (dotnet restore).
# Called by eng/run.sh and eng/test.sh; safe to run again (it installs only what is missing).
# Usage: eng/setup.sh [EXTRA_DEBIAN_PACKAGE...]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

missing=()
# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the embedded database cluster.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
# Node.js runs the official gRPC implementation (@grpc/grpc-js) the interop tests talk to.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# python3 sums the test results into eng/test.sh's closing line.
command -v python3 >/dev/null || missing+=(python3)
# Debian's chromium is the browser Microsoft.Playwright drives in tests/Checkout.Dashboard.Tests (playwright install
# downloads browsers from a site these machines cannot reach).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Extra Debian packages a caller needs (the benchmarks pass nghttp2-client for h2load, for example).
for pkg in "$@"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of every folder that declares them (the interop peers); 'npm ci' only when the lock changed.
while IFS= read -r lock; do
  dir=$(dirname "$lock")
  stamp="$dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done < <(git ls-files '*package-lock.json' 2>/dev/null || find . -name package-lock.json -not -path '*/node_modules/*')

dotnet restore Checkout.sln --verbosity quiet
