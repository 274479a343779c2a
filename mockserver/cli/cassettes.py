"""`jimeng-mock record` and `jimeng-mock replay`: cassettes from a real gateway, served back exactly."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    replay = commands.add_parser(
        "replay",
        help="serve a cassette back",
        description="Serve a cassette: the same client requests get the "
        "same responses, in recorded order; a body field the recorder redacted matches any value. Requests it does "
        "not hold get a 404 naming the nearest recorded ones (and which body field differed); GET /__replay/report "
        "lists them, and the report is printed on exit. Result URLs the recorder proxied point at the replay, "
        "which serves their recorded downloads offline.",
    )
    replay.add_argument("cassette", type=Path, help="the cassette file: from `record`, or GET /__admin/cassette")
    replay.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    replay.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    record = commands.add_parser(
        "record",
        help="record a real gateway through a proxy",
        description="A pass-through proxy to a real "
        "gateway that writes every exchange to a cassette (rewritten after each one), with keys and tokens "
        "redacted. Point your client at the proxy instead of the gateway. Result URLs in the gateway's answers "
        "reach the client as the proxy's /__results/<token> URLs, so their downloads are recorded too.",
    )
    record.add_argument("--upstream", required=True, help="base URL of the real gateway, e.g. https://crazyrouter.com")
    record.add_argument("--out", required=True, type=Path, help="cassette file to write")
    record.add_argument("--provider", help="gateway id, kept in the cassette as its source")
    record.add_argument(
        "--sign-with",
        metavar="ENV",
        help="for a gateway that takes signatures (volcengine): the environment variable holding the real AK|SK the "
        "proxy signs each request with (a client signs for the proxy's address, which its signature covers)",
    )
    record.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the proxy listens on (default 127.0.0.1; with --sign-with whatever reaches it is signed "
        "with the real pair)",
    )
    record.add_argument("--port", type=int, default=8000, help="port the proxy listens on (default 8000)")


def replay(args: argparse.Namespace) -> int:
    from mockserver.cassettes import Cassette, CassetteError, Replayer

    try:
        cassette = Cassette.load(args.cassette)
    except CassetteError as exc:
        print(f"jimeng-mock: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    def report() -> None:
        print(json.dumps(replayer.report(), ensure_ascii=False, indent=1), file=sys.stderr, flush=True)

    replayer = Replayer(cassette, on_shutdown=report)
    count = len(cassette.interactions)
    print(f"jimeng-mock replaying {count} interactions on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(replayer, host=args.host, port=args.port, log_level="warning")
    return 0


def record(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.cassettes import Recorder
    from mockserver.core.clock import MockClock
    from mockserver.core.volc_v4 import KeyPair

    signer = None
    if args.sign_with:
        signer = KeyPair.parse(os.environ.get(args.sign_with, ""))
        if signer is None:
            print(f"jimeng-mock: --sign-with: ${args.sign_with} must hold a key pair as AK|SK", file=sys.stderr)
            return 2
    source = args.provider or args.upstream
    recorder = Recorder(args.upstream, args.out, MockClock("system").now, source=source, signer=signer)
    print(f"jimeng-mock recording {args.upstream} on http://{args.host}:{args.port} into {args.out}", flush=True)
    uvicorn.run(recorder, host=args.host, port=args.port, log_level="warning")
    return 0
