"""How tasks fail inside the server (reference A.6, A.9, part D), and the mock-only `X-Mock-Error` header that
picks one for a task at submit. Each failure becomes the task's `error`: `{message, type, code}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MOCK_ERROR_HEADER = "x-mock-error"


@dataclass(frozen=True)
class TaskFailure:
    message: str
    code: str | int
    type: str = "api_error"
    at: float = 0.0
    """When it fails: a fraction of the generation time (0 = as soon as the task runs)."""
    timeout: bool = False
    """The poller's own timeout: the task runs for the whole poll budget first."""

    def error(self) -> dict[str, Any]:
        return {"message": self.message, "type": self.type, "code": self.code}


@dataclass(frozen=True)
class MockFailure:
    name: str
    aliases: tuple[str, ...]
    code: int
    video_message: str
    image_message: str
    at: float
    timeout: bool = False
    notes: str = ""

    def for_task(self, kind: str) -> TaskFailure:
        message = self.video_message if kind == "video" else self.image_message
        code = -2007 if kind == "image" and self.code == -2008 else self.code  # IMAGE_GENERATION_FAILED
        return TaskFailure(message, code, at=self.at, timeout=self.timeout)


def _fail_code(fail_code: str, at: float, notes: str) -> MockFailure:
    return MockFailure(
        f"fail_code_{fail_code}",
        (fail_code,),
        -2008,
        f"视频生成失败，状态码: 30，错误码: {fail_code}",
        f"图像生成失败，状态码: 30，错误码: {fail_code}",
        at,
        notes=notes,
    )


_TABLE = (
    MockFailure(
        "content_filtered",
        ("-2006", "4001"),
        -2006,
        "[内容违规]: 内容由于合规问题已被阻止生成",
        "[内容违规]: 内容由于合规问题已被阻止生成",
        0.0,
        notes="upstream ret 4001",
    ),
    MockFailure(
        "insufficient_credit",
        ("-2009", "5000"),
        -2009,
        "[积分不足]: credit prededuct not enough",
        "[积分不足]: credit prededuct not enough",
        0.0,
        notes="upstream ret 5000 (iptag/jimeng-api#36)",
    ),
    MockFailure(
        "token_expired",
        ("-2002", "1015"),
        -2002,
        "[登录失效]: login error。请重新获取refresh_token并更新配置",
        "[登录失效]: login error。请重新获取refresh_token并更新配置",
        0.0,
        notes="upstream ret 1015",
    ),
    MockFailure(
        "risk_control",
        ("-2001", "4013"),
        -2001,
        "[请求失败]: 生成失败，疑似存在异常行为，请重新尝试 (错误码: 4013)",
        "[请求失败]: 生成失败，疑似存在异常行为，请重新尝试 (错误码: 4013)",
        0.0,
        notes="iptag/jimeng-api#159",
    ),
    MockFailure(
        "upload_failed",
        ("upload",),
        -2001,
        "首帧图片上传失败: 图片上传网络请求失败 (tos-my216-share.vodupload.com): fetch failed",
        "图片上传失败: 图片上传网络请求失败 (tos-my216-share.vodupload.com): fetch failed",
        0.0,
        notes="iptag/jimeng-api#26",
    ),
    MockFailure(
        "no_url",
        ("-2007",),
        -2007,
        "未能获取视频URL，请稍后查看",
        "未能获取图片URL，请稍后查看",
        1.0,
        notes="success without a URL",
    ),
    MockFailure(
        "timeout",
        ("status_20",),
        -2007,
        "生成超时且无结果，状态码: 20",
        "生成超时且无结果，状态码: 20",
        1.0,
        timeout=True,
        notes="status 20 until the poller gives up (iptag/jimeng-api#101)",
    ),
    _fail_code("2038", 0.5, "input text breaks the platform rules (iptag/jimeng-api#126)"),
    _fail_code("2039", 0.5, "input image breaks the platform rules"),
    _fail_code("2043", 1.0, "the generated video failed review"),
    _fail_code("2047", 0.3, "prohibited words (wwwzhouhui/jimeng-free-api-all#33)"),
    _fail_code("1017", 0.5, "the international site is overloaded (iptag/jimeng-api#10)"),
)
MOCK_FAILURES = {failure.name: failure for failure in _TABLE}
_BY_NAME = {name.lower(): failure for failure in _TABLE for name in (failure.name, *failure.aliases)}


def lookup(value: str) -> MockFailure | None:
    return _BY_NAME.get(value.strip().lower())


def names() -> list[str]:
    return [failure.name for failure in _TABLE]
