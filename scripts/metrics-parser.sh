#!/usr/bin/env bash
# The reference parsers of the Prometheus and OpenMetrics text formats (Python's
# prometheus_client), in a virtualenv, for the metrics test.
#
#   scripts/metrics-parser.sh install    creates HEALTHZ_METRICS_VENV (default
#                                        ~/.cache/healthz/metrics-venv) from
#                                        tests/metrics/requirements.txt, again only when
#                                        that file changes; prints the venv's python
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$ROOT/tests/metrics/requirements.txt"
VENV="${HEALTHZ_METRICS_VENV:-$HOME/.cache/healthz/metrics-venv}"

[[ "${1:-}" == install ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
stamp="$VENV/.requirements"
if ! cmp -s "$REQUIREMENTS" "$stamp" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --requirement "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$stamp"
fi
echo "$VENV/bin/python"
