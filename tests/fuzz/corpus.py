"""Hostile requests, as raw bytes: issue 22's reproductions and the classics (malformed multipart, bad UTF-8, lone
surrogates, CRLF in headers, a lying Content-Length, chunked bodies over the limit)."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from tests.fuzz.signed import PROCESS, RESULT, SUBMIT, authorizations, is_signed, result_body, signature_lines

KEY = b"Authorization: Bearer sk-fuzz"
SESSION = b"Authorization: Bearer session-fuzz"
JSON_TYPE = b"Content-Type: application/json"

JSON_ENDPOINTS = {
    "crazyrouter": "/crazyrouter/jimeng/submit/videos",
    "gptge": "/gptge/task/jimeng/text2video",
    "octopusx": "/octopusx/v1/videos",
    "octopusx-unified": "/octopusx/v1/video/create",
    "jimmyai": "/jimmyai/api/open-api/v1/seedance/videos",
    "jimeng2api": "/jimeng2api/v1/videos/generations",
    "jimeng2api-images": "/jimeng2api/v1/images/generations",
    "volcengine": SUBMIT,
    "ark": "/ark/api/v3/contents/generations/tasks",
    "admin": "/__admin/clock/advance",
    "admin-next": "/__admin/clock/next",
    "admin-session": "/__admin/session",
    "admin-scenarios": "/__admin/scenarios",
}
READ_NO_FIELD = ("admin-next", "admin-session")
"""Endpoints that take any JSON object and read none of its fields."""
POLLS = {
    "crazyrouter": "/crazyrouter/jimeng/fetch/{id}",
    "gptge": "/gptge/task/{id}",
    "octopusx": "/octopusx/v1/videos/{id}",
    "jimmyai": "/jimmyai/api/open-api/v1/videos/{id}",
    "jimeng2api": "/jimeng2api/v1/tasks/{id}",
    "ark": "/ark/api/v3/contents/generations/tasks/{id}",
}
"""The gateways polled with a GET; volcengine polls with a signed POST (`poll`)."""
POLLED = (*POLLS, "volcengine")
BODY_LIMIT = 1024 * 1024  # the served mock's max_body_bytes (tests/fuzz/served.py)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    data: bytes
    """The whole request as sent."""
    answered: bool = True
    """False where closing the connection without an answer is right (HTTP framing no server can read)."""
    status: int | None = None
    """The status it must get, where one is certain; else any 4xx (or a 2xx where stated by `ok`)."""
    ok: bool = False
    """A 2xx is fine too (the request is odd, not wrong)."""
    wait: float | None = None
    """Seconds to wait for an answer, where the right answer is none (the server waits for a body never sent)."""


def request(
    method: str,
    path: str | bytes,
    body: bytes = b"",
    *headers: bytes,
    length: bytes | None = None,
    chunks: list[bytes] | None = None,
) -> bytes:
    target = path.encode("latin-1") if isinstance(path, str) else path
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: localhost", b"Connection: close", *headers]
    if chunks is not None:
        lines.append(b"Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    else:
        lines.append(b"Content-Length: " + (length if length is not None else str(len(body)).encode()))
        payload = body
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def post_json(path: str, body: bytes, *headers: bytes) -> bytes:
    """A JSON POST with the gateway's credentials: its key, or for volcengine a valid signature of the body."""
    if is_signed(path):
        return request("POST", path, body, JSON_TYPE, *signature_lines(path, body), *headers)
    auth = SESSION if path.startswith("/jimeng2api") else KEY
    return request("POST", path, body, JSON_TYPE, auth, *headers)


def poll(provider: str, task_id: str, *headers: bytes, key: bytes | None = None) -> tuple[str, str, bytes]:
    """(method, target, request) reading `provider`'s task `task_id`: a GET with `key` (by default the corpus's
    key), or volcengine's GetResult signed (`key` then sent in place of the signature)."""
    if provider == "volcengine":
        body = result_body(task_id)
        if key is None:
            return "POST", RESULT, post_json(RESULT, body, *headers)
        return "POST", RESULT, request("POST", RESULT, body, JSON_TYPE, key, *headers)
    target = POLLS[provider].format(id=task_id)
    return "GET", target, request("GET", target, b"", key or KEY, *headers)


def declared_png(width: int, height: int) -> bytes:
    """A PNG that declares `width`x`height` and holds almost nothing: about 60 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "fuzzboundary") -> tuple[bytes, bytes]:
    """(body, content-type header) of a form: each part (name, data, filename or None)."""
    body = b""
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: image/png\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"Content-Type: multipart/form-data; boundary={boundary}".encode()


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{','.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def reproductions() -> Iterator[Case]:
    for name, path in JSON_ENDPOINTS.items():
        yield Case(f"nested-1025:{name}", "POST", path, post_json(path, b"[" * 1025 + b"]" * 1025), status=400)
        yield Case(f"nested-100k:{name}", "POST", path, post_json(path, b'{"a":' * 100_000 + b"1" + b"}" * 100_000))
        digits = b'{"seconds": ' + b"9" * 5000 + b', "duration": ' + b"9" * 5000 + b', "prompt": "a"}'
        yield Case(f"int-5000-digits:{name}", "POST", path, post_json(path, digits), status=400)
        overflow = post_json(path, b'{"seconds": 1e400, "duration": 1e400}')
        yield Case(f"float-1e400:{name}", "POST", path, overflow, ok=name in READ_NO_FIELD)
    bomb = base64.b64encode(declared_png(15000, 15000)).decode()
    for name, path, body in [
        ("crazyrouter", JSON_ENDPOINTS["crazyrouter"], {"model": "jimeng-video-3.0", "binary_data_base64": [bomb]}),
        ("gptge", "/gptge/task/jimeng/image2video", {"prompt": "a", "binary_data_base64": [bomb]}),
        (
            "octopusx",
            JSON_ENDPOINTS["octopusx"],
            {"model": "jimeng-video-3.0", "prompt": "a", "input_reference": f"data:image/png;base64,{bomb}"},
        ),
    ]:
        yield Case(f"png-bomb:{name}", "POST", path, post_json(path, json.dumps(body).encode()), status=400)
    for name, path, field, auth in [
        ("octopusx-multipart", "/octopusx/v1/videos", "input_reference", KEY),
        ("jimeng2api-multipart", "/jimeng2api/v1/videos/generations", "image_file_1", SESSION),
    ]:
        form = [
            ("model", b"jimeng-video-3.0", None),
            ("prompt", b"a", None),
            (field, declared_png(15000, 15000), "b.png"),
        ]
        body, content_type = multipart(form)
        yield Case(f"png-bomb:{name}", "POST", path, request("POST", path, body, content_type, auth), status=400)
    scenario = json.dumps({"name": "bomb", "yaml": alias_bomb()}).encode()
    yield Case("yaml-alias-bomb", "POST", "/__admin/scenarios", post_json("/__admin/scenarios", scenario), status=400)
    for latency in ("inf", "nan", "1e400", "1e9", "-1", "0-inf"):
        fault = f"X-Mock-Fault: latency={latency}".encode()
        for name in POLLED:
            yield Case(f"fault-latency-{latency}:{name}", *poll(name, "1", fault), status=400)
        submit = JSON_ENDPOINTS["crazyrouter"]
        body = b'{"model": "jimeng-video-3.0", "prompt": "a"}'
        yield Case(f"fault-latency-{latency}:submit", "POST", submit, post_json(submit, body, fault), status=400)
    for fault in (b"error=no_such_error; status=429", b"status=429; error=", b"explode", b"p=0.5", b"\xff\xfe"):
        path = POLLS["gptge"].format(id="1")
        yield Case(
            f"fault-header:{fault!r}",
            "GET",
            path,
            request("GET", path, b"", KEY, b"X-Mock-Fault: " + fault),
            status=400,
        )
    prompt = json.dumps({"model": "seedance2.0-std", "prompt": "x" * 1_000_000}).encode()
    path = JSON_ENDPOINTS["jimmyai"]
    yield Case("prompt-1mb:jimmyai", "POST", path, post_json(path, prompt), status=400)
    path = JSON_ENDPOINTS["jimeng2api"]
    body = json.dumps({"model": "jimeng-video-3.0", "prompt": "x" * 1_000_000}).encode()
    yield Case("prompt-1mb:jimeng2api", "POST", path, post_json(path, body), status=400)
    for query in ("limit=%C2%B2", "limit=²", "limit=" + "9" * 5000, "limit=-1", "limit=%ff"):
        for path in ("/octopusx/v1/videos", "/__admin/journal", "/__admin/tasks"):
            yield Case(
                f"query-{query[:12]}:{path}",
                "GET",
                f"{path}?{query}",
                request("GET", f"{path}?{query}", b"", KEY),
                ok=True,
            )


def malformed_multipart() -> Iterator[Case]:
    for name, path, auth in [
        ("octopusx", "/octopusx/v1/videos", KEY),
        ("jimeng2api", "/jimeng2api/v1/videos/generations", SESSION),
    ]:
        good, content_type = multipart([("model", b"jimeng-video-3.0", None), ("prompt", b"a", None)])
        bodies = {
            "no-boundary": (good, b"Content-Type: multipart/form-data"),
            "wrong-boundary": (good, b"Content-Type: multipart/form-data; boundary=other"),
            "truncated": (good[: len(good) // 2], content_type),
            "no-closing": (good.replace(b"--fuzzboundary--\r\n", b""), content_type),
            "long-boundary": multipart([("prompt", b"a", None)], boundary="b" * 5000),
            "no-name": (good.replace(b'name="model"', b""), content_type),
            "crlf-in-name": (good.replace(b'name="model"', b'name="mo\r\ndel"'), content_type),
            "many-fields": multipart([(f"f{n}", b"x", None) for n in range(5000)]),
            "many-files": multipart([(f"image_file_{n}", b"x", f"{n}.png") for n in range(500)]),
            "binary-junk": (bytes(range(256)) * 64, content_type),
            "bad-utf8-field": multipart([("model", b"\xff\xfe\xfd", None), ("prompt", b"\xc3\x28", None)]),
        }
        for kind, (body, header) in bodies.items():
            # jimeng2api reads an unknown model as its default one, as the server does
            lenient = kind == "bad-utf8-field" and name == "jimeng2api"
            yield Case(f"multipart-{kind}:{name}", "POST", path, request("POST", path, body, header, auth), ok=lenient)


def bad_text() -> Iterator[Case]:
    for name, path in JSON_ENDPOINTS.items():
        yield Case(f"bad-utf8-body:{name}", "POST", path, post_json(path, b'{"prompt": "\xff\xfe\xc3\x28"}'))
        surrogate = b'{"model": "jimeng-video-3.0", "prompt": "a \\ud800 b", "\\udfff": 1}'
        yield Case(f"lone-surrogate:{name}", "POST", path, post_json(path, surrogate), ok=True)
        yield Case(f"bom:{name}", "POST", path, post_json(path, b'\xef\xbb\xbf{"prompt": "a"}'), ok=True)
        yield Case(f"nul:{name}", "POST", path, post_json(path, b'{"prompt": "a\x00b"}'))
        yield Case(
            f"not-json-type:{name}",
            "POST",
            path,
            request("POST", path, b"<xml/>", b"Content-Type: application/xml", KEY),
            ok=True,
        )
    for name in POLLED:
        for task_id in ("%ff%fe", "%00", "..%2f..%2f__admin", "a" * 10_000, "%0d%0aSet-Cookie:%20x=1", "\xff"):
            yield Case(f"task-id-{task_id[:10]!r}:{name}", *poll(name, task_id), ok=True)
        yield Case(f"bad-utf8-header:{name}", *poll(name, "1", b"X-Mock-Scenario: \xff\xfe"), ok=True)
        # any non-empty key is accepted when none is configured (gptge answers an unknown id with a 200)
        yield Case(f"bad-utf8-key:{name}", *poll(name, "1", key=b"Authorization: Bearer \xff\xfe"), ok=True)


def crlf_and_framing() -> Iterator[Case]:
    path = JSON_ENDPOINTS["crazyrouter"]
    body = b'{"model": "jimeng-video-3.0", "prompt": "a"}'
    yield Case(
        "obs-fold",
        "POST",
        path,
        request("POST", path, body, JSON_TYPE, KEY, b"X-Mock-Scenario: a\r\n b"),
        answered=False,
    )
    yield Case(
        "bare-cr-in-header",
        "POST",
        path,
        request("POST", path, body, JSON_TYPE, KEY, b"X-Mock-Scenario: a\rb"),
        answered=False,
    )
    yield Case(
        "lf-line-endings",
        "GET",
        "/crazyrouter/jimeng/fetch/1",
        b"GET /crazyrouter/jimeng/fetch/1 HTTP/1.1\nHost: fuzz\nConnection: close\n" + KEY + b"\n\n",
        answered=False,
        ok=True,
    )
    yield Case(
        "content-length-short",
        "POST",
        path,
        request("POST", path, body + b"GARBAGE / HTTP/1.1\r\n\r\n", JSON_TYPE, KEY, length=str(len(body)).encode()),
        ok=True,
    )
    for length in (b"9" * 5000, b"-1", b"\xb2", b"1e3", b"10, 20"):
        yield Case(
            f"content-length-{length[:8]!r}",
            "POST",
            path,
            request("POST", path, body, JSON_TYPE, KEY, length=length),
            answered=False,
        )
    yield Case(
        "content-length-and-chunked",
        "POST",
        path,
        request("POST", path, b"", JSON_TYPE, KEY, b"Content-Length: 5", chunks=[body]),
        answered=False,
    )
    yield Case(
        "chunked-over-the-limit",
        "POST",
        path,
        request("POST", path, b"", JSON_TYPE, KEY, chunks=[b" " * 65536] * (BODY_LIMIT // 65536 + 2)),
        status=413,
    )
    yield Case(
        "declared-over-the-limit",
        "POST",
        path,
        request("POST", path, b"", JSON_TYPE, KEY, length=str(BODY_LIMIT + 1).encode()),
        status=413,
    )
    yield Case(
        "bad-chunk-size",
        "POST",
        path,
        request("POST", path, b"", JSON_TYPE, KEY, b"Transfer-Encoding: chunked", length=b"0")[:-4]
        + b"\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        answered=False,
    )
    for name, target in (("media-range", "/__media/v/x.mp4"), ("index", "/"), ("unknown", "/nowhere")):
        yield Case(
            f"range-digits:{name}",
            "GET",
            target,
            request("GET", target, b"", b"Range: bytes=" + b"9" * 5000 + b"-"),
            ok=True,
        )


def signed_gateway() -> Iterator[Case]:
    """volcengine's own: the parts of its signature, its Action query, image bytes, GetResult's req_json."""
    body = b'{"req_key": "jimeng_t2v_v30", "prompt": "a"}'
    for name, line in authorizations():
        yield Case(f"authorization-{name}:volcengine", "POST", SUBMIT, request("POST", SUBMIT, body, JSON_TYPE, line))
    others = [line for line in signature_lines(SUBMIT, body) if not line.startswith(b"X-Date:")]
    for x_date in (b"99999999T999999Z", b"99991231T235959Z", b"00010101T000000Z", b"9" * 5000, b"\xff\xfe", b"-1"):
        data = request("POST", SUBMIT, body, JSON_TYPE, *others, b"X-Date: " + x_date)
        yield Case(f"x-date-{x_date[:16]!r}:volcengine", "POST", SUBMIT, data)
    for query in (
        "",
        "?Action=CVSync2AsyncSubmitTask",
        "?Action=" + "A" * 5000 + "&Version=2022-08-31",
        "?Action=%ff%fe&Version=%00",
        "?Action=CVSync2AsyncSubmitTask&Action=CVProcess&Version=2022-08-31",
        "?Action=CVSync2AsyncSubmitTask&Version=2022-08-31" + "&x=1" * 5000,
    ):
        target = f"/volcengine/{query}"
        yield Case(f"query-{query[:24]}:volcengine", "POST", target, post_json(target, body), ok=True)
    for method, target in (("GET", SUBMIT), ("PUT", SUBMIT), ("POST", "/volcengine/%ff?Action=CVProcess")):
        yield Case(f"route-{method}-{target[:16]}:volcengine", method, target, request(method, target, body, JSON_TYPE))
    bomb = base64.b64encode(declared_png(15000, 15000)).decode()
    for req_key, images in (("jimeng_i2v_first_v30", [bomb]), ("jimeng_i2v_first_tail_v30", [bomb, "%%%"])):
        bombed = json.dumps({"req_key": req_key, "prompt": "a", "binary_data_base64": images}).encode()
        yield Case(f"png-bomb-{req_key}:volcengine", "POST", SUBMIT, post_json(SUBMIT, bombed), status=400)
    for name, hostile in (
        ("req-json-nested", {"req_json": "[" * 4096}),
        ("req-json-digits", {"req_json": '{"return_url": ' + "9" * 4000 + "}"}),
        ("req-json-surrogate", {"req_json": '{"\\ud800": true}'}),
    ):
        yield Case(f"{name}:volcengine", "POST", RESULT, post_json(RESULT, result_body("1", **hostile)), ok=True)
    for name, fields in (
        ("process-width", {"width": 10**9, "height": 10**9}),
        ("process-prompt-1mb", {"prompt": "x" * 1_000_000}),
        ("process-seed-digits", {"seed": 10**60}),
    ):
        processed = json.dumps({"req_key": "jimeng_high_aes_general_v21_L", "prompt": "a", **fields}).encode()
        yield Case(f"{name}:volcengine", "POST", PROCESS, post_json(PROCESS, processed))
    over = request("POST", SUBMIT, b"", JSON_TYPE, *others, length=str(BODY_LIMIT + 1).encode())
    yield Case("declared-over-the-limit:volcengine", "POST", SUBMIT, over, status=413)


def admin_reads() -> Iterator[Case]:
    """The dashboard's reads: the journal's filters and cursor, an entry by number, a task's timeline, the
    cassette export, with numbers that are not (superscripts, other scripts' digits) and searches that are regexes."""
    numbers = ("-1", "%C2%B2", "%D9%A1", "1.5", "0x10", "9" * 5000, "%ff", "%00", "")
    for number in numbers:
        for path in (f"/__admin/journal?after={number}", f"/__admin/cassette?after={number}"):
            yield Case(f"after-{number[:12]!r}:{path[:16]}", "GET", path, request("GET", path), status=400)
    for number in numbers[:-1]:
        path = f"/__admin/journal/{number}"
        yield Case(f"entry-{number[:12]!r}", "GET", path, request("GET", path), status=400)
    for status in ("xxx", "999", "4XX", "%00", "unmatched%00"):
        for path in (f"/__admin/journal?status={status}", f"/__admin/cassette?status={status}"):
            yield Case(f"status-{status}:{path[:16]}", "GET", path, request("GET", path), status=400)
    for search in (".*", "(a%2B)%2B$", "%5B", "%5C", "%00", "%ED%A0%80", "%ff%fe", "a" * 30_000):
        for path in (f"/__admin/journal?q={search}", f"/__admin/cassette?q={search}"):
            yield Case(f"search-{search[:12]!r}:{path[:16]}", "GET", path, request("GET", path), ok=True)
    for task_id in ("%ff%fe", "%00", "a" * 10_000, "%0d%0aSet-Cookie:%20x=1", "%2e%2e"):
        path = f"/__admin/tasks/{task_id}/timeline"
        yield Case(f"timeline-{task_id[:10]!r}", "GET", path, request("GET", path), status=404)


def corpus() -> list[Case]:
    return [
        *reproductions(),
        *malformed_multipart(),
        *bad_text(),
        *crlf_and_framing(),
        *signed_gateway(),
        *admin_reads(),
    ]
