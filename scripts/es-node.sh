#!/bin/sh
# A throwaway single-node Elasticsearch (the tests' node) to try ktcp against by hand.
#   scripts/es-node.sh fetch   unpack the distribution with Maven and create the ktcp-es user
#   scripts/es-node.sh run     start a node on a free loopback port, print its URL; Ctrl-C stops
#                              it and removes its data
# See tests/elasticsearch/README.md.
set -eu
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tests/elasticsearch/esnode.py "${1:-run}"
