#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, checks the code style, and runs every test project
# against real PostgreSQL, the embedded Kafka-protocol broker, real HTTP/2 and gRPC peers and a real browser.
# Extra arguments go to each 'dotnet test' (for example: eng/test.sh --filter "FullyQualifiedName~Postgres").
set -euo pipefail
cd "$(dirname "$0")/.."
eng/setup.sh
dotnet build Checkout.sln --no-restore --configuration Release --verbosity quiet -nologo
dotnet format Checkout.sln --no-restore --verify-no-changes --verbosity quiet

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# Two lanes, one per core of the machines this runs on, each starting with its longest projects, so that the two
# finish together (dotnet test on the solution would start the longest one last).
lane() {
  local status=0
  for project in "$@"; do
    dotnet test "tests/$project" --no-build --configuration Release --logger trx --results-directory "$results" \
      --blame-hang-timeout 5min "${extra[@]}" || status=1
  done
  return $status
}
extra=("$@")
lane Checkout.AppHost.Tests Checkout.Messaging.Tests Checkout.Grpc.Tests Checkout.ServiceDefaults.Tests &
first=$!
status=0
lane Checkout.Services.Tests Checkout.Dashboard.Tests Checkout.Gateway.Tests Checkout.Saga.Tests Checkout.Infrastructure.Tests || status=1
wait $first || status=1

# Every test project must have run: one added to tests/ but to neither lane would otherwise be skipped silently.
for project in tests/*.Tests; do
  grep -q "$(basename "$project")" "$0" || { echo "eng/test.sh: $project is in no lane"; status=1; }
done

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
