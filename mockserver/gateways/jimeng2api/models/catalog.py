"""jimeng2api's model tables (reference A.8) and image sizes (the seed's ratio x resolution table, A.7). No HTTP."""

from __future__ import annotations

from typing import Any

from mockserver.gateways.families import jimeng30

REGIONS = ("cn", "us", "hk", "jp", "sg")
REGION_LABELS = {"cn": "CN", "us": "US", "hk": "HK/JP/SG", "jp": "HK/JP/SG", "sg": "HK/JP/SG"}

# user model name -> upstream req key, per site, in the server's own order (used in "Supported models: ...")
IMAGE_MODELS_CN = {
    "jimeng-5.0": "high_aes_general_v50",
    "jimeng-4.6": "high_aes_general_v42",
    "jimeng-4.5": "high_aes_general_v40l",
    "jimeng-4.1": "high_aes_general_v41",
    "jimeng-4.0": "high_aes_general_v40",
    "jimeng-3.1": "high_aes_general_v30l_art_fangzhou:general_v3.0_18b",
    "jimeng-3.0": "high_aes_general_v30l:general_v3.0_18b",
}
_NANO = {"nanobanana": "external_model_gemini_flash_image_v25", "nanobananapro": "dreamina_image_lib_1"}
IMAGE_MODELS_US = {name: IMAGE_MODELS_CN[name] for name in ("jimeng-4.5", "jimeng-4.1", "jimeng-4.0", "jimeng-3.0")}
IMAGE_MODELS_US |= _NANO
IMAGE_MODELS_ASIA = {
    name: IMAGE_MODELS_CN[name] for name in ("jimeng-5.0", "jimeng-4.6", "jimeng-4.5", "jimeng-4.1", "jimeng-4.0")
}
IMAGE_MODELS_ASIA |= {"jimeng-3.0": IMAGE_MODELS_CN["jimeng-3.0"]} | _NANO

_VGFM = "dreamina_ic_generate_video_model_vgfm"
VIDEO_MODELS_CN = {
    "jimeng-video-seedance-2.0-vip": "dreamina_seedance_40_pro_vision",
    "jimeng-video-seedance-2.0-fast-vip": "dreamina_seedance_40_vision",
    "jimeng-video-seedance-2.0": "dreamina_seedance_40_pro",
    "jimeng-video-seedance-2.0-fast": "dreamina_seedance_40",
    "jimeng-video-3.5-pro": f"{_VGFM}_3.5_pro",
    "jimeng-video-3.0-pro": f"{_VGFM}_3.0_pro",
    "jimeng-video-3.0": f"{_VGFM}_3.0",
    "jimeng-video-3.0-fast": f"{_VGFM}_3.0_fast",
    "jimeng-video-2.0": f"{_VGFM}_lite",
    "jimeng-video-2.0-pro": f"{_VGFM}1.0",
}
VIDEO_MODELS_US = {name: VIDEO_MODELS_CN[name] for name in ("jimeng-video-3.5-pro", "jimeng-video-3.0")}
VIDEO_MODELS_ASIA = {
    "jimeng-video-veo3": "dreamina_veo3_generate_video",
    "jimeng-video-veo3.1": "dreamina_veo3.1_generate_video",
    "jimeng-video-sora2": "dreamina_sora2_generate_video",
} | {
    name: VIDEO_MODELS_CN[name]
    for name in (
        "jimeng-video-3.5-pro",
        "jimeng-video-3.0-pro",
        "jimeng-video-3.0",
        "jimeng-video-3.0-fast",
        "jimeng-video-2.0",
        "jimeng-video-2.0-pro",
    )
}

IMAGE_MODELS = {"cn": IMAGE_MODELS_CN, "us": IMAGE_MODELS_US, "asia": IMAGE_MODELS_ASIA}
VIDEO_MODELS = {"cn": VIDEO_MODELS_CN, "us": VIDEO_MODELS_US, "asia": VIDEO_MODELS_ASIA}
DEFAULT_IMAGE_MODEL = "jimeng-4.5"
DEFAULT_VIDEO_MODEL = "jimeng-video-3.5-pro"
SEEDANCE_2_MODELS = (
    "jimeng-video-seedance-2.0",
    "jimeng-video-seedance-2.0-fast",
    "jimeng-video-seedance-2.0-vip",
    "jimeng-video-seedance-2.0-fast-vip",
)


def site(region: str) -> str:
    return region if region in ("cn", "us") else "asia"


def image_models(region: str) -> dict[str, str]:
    return IMAGE_MODELS[site(region)]


def video_models(region: str) -> dict[str, str]:
    return VIDEO_MODELS[site(region)]


def public_models() -> list[dict[str, Any]]:
    """`GET /v1/models`: the union across sites, sorted by id, each with its type and the sites that have it."""
    found: dict[str, dict[str, Any]] = {}
    for kind, tables in (("image", IMAGE_MODELS), ("video", VIDEO_MODELS)):
        for site_name, label in (("cn", "CN"), ("us", "US"), ("asia", "HK/JP/SG")):
            for name in tables[site_name]:
                entry = found.setdefault(
                    name, {"id": name, "object": "model", "owned_by": "jimeng2api", "type": kind, "regions": []}
                )
                entry["regions"].append(label)
    return [found[name] for name in sorted(found, key=_locale_key)]


def _locale_key(name: str) -> tuple[str, str]:
    return (name.lower(), name)


# The seed's table (README) = the server's RESOLUTION_OPTIONS: resolution -> ratio -> (width, height).
IMAGE_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9")
IMAGE_RESOLUTIONS = ("1k", "2k", "4k")
IMAGE_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "1k": {
        "1:1": (1024, 1024),
        "4:3": (768, 1024),
        "3:4": (1024, 768),
        "16:9": (1024, 576),
        "9:16": (576, 1024),
        "3:2": (1024, 682),
        "2:3": (682, 1024),
        "21:9": (1195, 512),
    },
    "2k": {
        "1:1": (2048, 2048),
        "4:3": (2304, 1728),
        "3:4": (1728, 2304),
        "16:9": (2560, 1440),
        "9:16": (1440, 2560),
        "3:2": (2496, 1664),
        "2:3": (1664, 2496),
        "21:9": (3024, 1296),
    },
    "4k": {
        "1:1": (4096, 4096),
        "4:3": (4608, 3456),
        "3:4": (3456, 4608),
        "16:9": (5120, 2880),
        "9:16": (2880, 5120),
        "3:2": (4992, 3328),
        "2:3": (3328, 4992),
        "21:9": (6048, 2592),
    },
}
NANOBANANAPRO_4K = {
    "1:1": (4096, 4096),
    "4:3": (4693, 3520),
    "3:4": (3520, 4693),
    "16:9": (5404, 3040),
    "9:16": (3040, 5404),
    "3:2": (4992, 3328),
    "2:3": (3328, 4992),
    "21:9": (6197, 2656),
}

# Video output sizes by ratio: the jimeng 3.0 upstream's 720p / 1080p tables (assumed for models that ignore
# `resolution`), named as this server names resolutions.
VIDEO_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "21:9")
VIDEO_SIZES: dict[str, dict[str, tuple[int, int]]] = {"720p": jimeng30.SIZES["720P"], "1080p": jimeng30.SIZES["1080P"]}
RESOLUTION_MODELS = ("jimeng-video-3.0", "jimeng-video-3.0-fast")  # vgfm_3.0 / vgfm_3.0_fast honour `resolution`
