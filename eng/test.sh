#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test project against real
# PostgreSQL, the embedded Kafka-protocol broker and real HTTP/2 peers. Extra arguments go to 'dotnet test'
# (for example: eng/test.sh --filter "FullyQualifiedName~Postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
eng/setup.sh
dotnet build Checkout.sln --no-restore --configuration Release --verbosity quiet -nologo

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test Checkout.sln --no-build --configuration Release --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 5min "$@" || status=$?

# One plain closing line over all projects, read from the test result files.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0) or 0)
    s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
