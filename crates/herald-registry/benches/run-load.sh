#!/usr/bin/env bash
# Runs the registry load benchmark, installing wrk (a Debian package) first if needed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk
fi
exec cargo bench -p herald-registry --bench registry_load "$@"
