#!/usr/bin/env bash
# Writes the Aspire deployment manifest of Checkout.AppHost: what the Azure Developer CLI reads to deploy to Azure
# Container Apps (the six projects, the PostgreSQL container and its databases, the Kafka container, and parameters
# for the secrets: the PostgreSQL password and the JWT signing key, never their values).
# Usage: eng/publish-manifest.sh [OUTPUT_PATH] [dotnet run options...]
#   OUTPUT_PATH defaults to aspire-manifest.json in the current folder; options such as --no-build -c Release go to
#   dotnet run. The manifest's schema: eng/aspire-8.0.json (see eng/README.md).
set -euo pipefail
output=$(realpath -m "${1:-aspire-manifest.json}")
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
exec dotnet run --project Checkout.AppHost "$@" -- --publisher manifest --output-path "$output"
