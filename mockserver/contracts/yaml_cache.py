"""YAML documents parsed once per content: the parsed value is kept with `marshal` in the user's cache folder,
keyed by a hash of the file's bytes and the Python version, so a start reads it back instead of parsing the YAML
again (PERFORMANCE.md: cold start). Any failure to read or write the cache falls back to parsing: the cache can
never change what it loads."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's loader where PyYAML was built with it
CACHE_FOLDER = "jimeng-mock"


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/jimeng-mock`, else `~/.cache/jimeng-mock`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / CACHE_FOLDER


def load_yaml(path: Traversable, folder: Path | None = None) -> Any:
    """`path` (a file, or a package resource) parsed as YAML (safe loader); raises what reading and parsing raise."""
    raw = path.read_bytes()
    folder = cache_dir() if folder is None else folder
    stem = path.name.rsplit(".", 1)[0]
    version = f"{sys.version_info[:3]}:{marshal.version}:".encode()  # marshal's format is the interpreter's
    cached = folder / f"{stem}.{hashlib.blake2b(version + raw, digest_size=16).hexdigest()}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    document = yaml.load(raw, Loader=YAML_LOADER)
    _keep(cached, stem, document)
    return document


def _keep(cached: Path, stem: str, document: Any) -> None:
    """Write the parsed document beside none of its older versions; quietly do nothing where that fails
    (a read-only home, a value marshal cannot write such as a YAML timestamp)."""
    try:
        blob = marshal.dumps(document)
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_bytes(blob)
        partial.replace(cached)
        for older in cached.parent.glob(f"{stem}.{'?' * 32}.marshal"):
            if older != cached:
                older.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass
