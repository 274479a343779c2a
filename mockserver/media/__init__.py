"""Result files: signed URLs that expire on the mock's clock, and real bytes (MP4 video, images).

Modules: `signing` (URLs), `spec` (what a file is), `render` (bytes, cached), `mp4` and `h264` (the
video encoder), `images` (reading uploads), `ranges` and `routes` (serving).
"""
