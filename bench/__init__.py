"""`make bench`: how fast the mock serves, measured side by side with a bare Starlette app in the same run.

`python -m bench` runs everything; `python -m bench --help` lists the knobs (the smoke test uses them to
run every code path in a fraction of a second per endpoint).
"""
