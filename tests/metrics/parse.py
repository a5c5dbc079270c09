"""Parses a metrics exposition with prometheus_client's reference parsers.

    parse.py prometheus|openmetrics < exposition

Prints one JSON object per sample, one per line: name, labels, value. Exits non-zero,
with the parser's complaint, when the text does not parse.
"""

import json
import sys

from prometheus_client.openmetrics import parser as openmetrics
from prometheus_client import parser as prometheus

PARSERS = {
    "prometheus": prometheus.text_string_to_metric_families,
    "openmetrics": openmetrics.text_string_to_metric_families,
}

text = sys.stdin.read()
for family in PARSERS[sys.argv[1]](text):
    for sample in family.samples:
        print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value}))
