"""What FFmpeg (PyAV) decodes from an H.264 stream the mock wrote: each picture's Y, Cb and Cr planes, unpadded."""

from __future__ import annotations

import io

import av


def decoded_planes(data: bytes) -> list[tuple[bytes, bytes, bytes]]:
    with av.open(io.BytesIO(data), mode="r") as container:
        result = []
        for frame in container.decode(video=0):
            planes = []
            for index, plane in enumerate(frame.planes):
                width, height = (frame.width, frame.height) if index == 0 else (frame.width // 2, frame.height // 2)
                raw = bytes(plane)
                planes.append(b"".join(raw[r * plane.line_size : r * plane.line_size + width] for r in range(height)))
            result.append((planes[0], planes[1], planes[2]))
        return result
