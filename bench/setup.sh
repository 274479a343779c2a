#!/bin/sh
# Installs what `make bench` uses beyond Python, from Debian's packages when that is possible (apt-get present,
# running as root): wrk, the load generator it prefers, and valgrind, which counts instructions per request.
# Without wrk the bench falls back to its Python load generator; without valgrind it skips the instruction
# counts; either way it says so.
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
if [ -z "$missing" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "bench: installing$missing from Debian's packages"
    # shellcheck disable=SC2086
    apt-get install -y -q $missing >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null 2>&1; }
fi
command -v wrk >/dev/null 2>&1 || echo "bench: wrk is not available here: the Python load generator (bench/pyload.py) will drive the load"
command -v valgrind >/dev/null 2>&1 || echo "bench: valgrind is not available here: no instruction counts"
exit 0
