#!/bin/sh
# Installs wrk, the load generator `make bench` prefers, from Debian's packages when that is possible
# (apt-get present, running as root). Otherwise the bench falls back to its Python load generator and says so.
if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "bench: installing wrk from Debian's packages"
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; }
fi
command -v wrk >/dev/null 2>&1 || echo "bench: wrk is not available here: the Python load generator (bench/pyload.py) will drive the load"
exit 0
