"""What the jimeng 3.0 upstream renders (Volcengine jimeng_t2v_v30 / _1080p, observed): the gateways that pass it
through (Crazyrouter, OctopusX) share these facts."""

from __future__ import annotations

FPS = 24
"""Frames are 24 per second plus one: 121 for 5 s, 241 for 10 s."""

SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "720P": {
        "16:9": (1280, 720),
        "4:3": (1112, 834),
        "1:1": (960, 960),
        "3:4": (834, 1112),
        "9:16": (720, 1280),
        "21:9": (1470, 630),
    },
    "1080P": {
        "16:9": (1920, 1080),
        "4:3": (1664, 1248),
        "1:1": (1440, 1440),
        "3:4": (1248, 1664),
        "9:16": (1080, 1920),
        "21:9": (2176, 928),
    },
}


def frames(seconds: int) -> int:
    return FPS * seconds + 1
