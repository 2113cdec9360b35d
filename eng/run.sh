#!/usr/bin/env bash
# The README's run command: installs what is missing, then starts the whole system through the AppHost.
# Extra arguments go to the AppHost.
set -euo pipefail
cd "$(dirname "$0")/.."
eng/setup.sh
exec dotnet run --project Checkout.AppHost --configuration Release -- "$@"
