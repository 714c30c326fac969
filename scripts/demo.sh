#!/usr/bin/env bash
# Installs what is missing, builds, and runs `gridbench demo`: a local
# coordinator with its SQLite file and one worker on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/bin/gridbench" demo "$@"
