"""Who is calling and with which Jimeng account: session tokens with region and proxy prefixes (legacy mode,
reference A.9), API keys and managed tokens (managed mode, A.3/A.11), and the credits of each session. No HTTP."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from mockserver.core.randomness import RandomSource, random_uuid
from mockserver.gateways.kit.stamps import utc_stamp

_PROXY = re.compile(r"^(https?|socks(?:4|5)?)://", re.IGNORECASE)
REGION_PREFIXES = ("us-", "hk-", "jp-", "sg-")
DAY_OFFSET = 8 * 3600  # credit_receive is called with time_zone Asia/Shanghai: days turn at 00:00 UTC+8
DAILY_CREDITS = {"cn": 66, "us": 150, "hk": 150, "jp": 150, "sg": 150}
EXPIRED_PREFIX = "expired"  # mock convention: a session id starting with this is logged out (ret 1015)


@dataclass(frozen=True)
class SessionToken:
    raw: str
    session_id: str
    region: str  # cn | us | hk | jp | sg
    proxy: str | None
    expired: bool = field(init=False)
    """Logged out: read twice per submit, so worked out once, with the token."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "expired", self.session_id.lower().startswith(EXPIRED_PREFIX))


@lru_cache(maxsize=256)
def parse_token(raw: str) -> SessionToken:
    """`[ProxyURL@][us-|hk-|jp-|sg-]<sessionid>`: the proxy ends at the last `@`, then the region prefix."""
    token, proxy = raw.strip(), None
    if _PROXY.match(token) and "@" in token:
        proxy, _, token = token.rpartition("@")
    region = "cn"
    if token[:3].lower() in REGION_PREFIXES:
        region, token = token[:2].lower(), token[3:]
    return SessionToken(raw, token, region, proxy)


def split_tokens(authorization: str) -> list[str]:
    """The server's tokenSplit: `Bearer a,b` -> ['a', 'b']."""
    return authorization.replace("Bearer ", "", 1).split(",")


def day_of(now: float) -> int:
    return int((now + DAY_OFFSET) // 86400)


@dataclass
class CreditAccount:
    balance: int
    received_day: int

    def points(self) -> dict[str, int]:
        return {"giftCredit": self.balance, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": self.balance}


@dataclass
class ApiKey:
    id: str
    name: str
    secret: str
    status: str = "active"
    last_used: float | None = None
    """When the key last authenticated a call (written on every call, formatted only when listed)."""
    created_at: str = ""
    revoked_at: str | None = None

    def redacted(self) -> dict[str, Any]:
        masked = f"{self.secret[:6]}...{self.secret[-4:]}"
        return {
            "id": self.id,
            "name": self.name,
            "api_key": masked,
            "status": self.status,
            "last_used_at": None if self.last_used is None else Accounts.stamp(self.last_used),
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


@dataclass
class ManagedToken:
    id: str
    name: str
    token: str
    region: str = "cn"
    proxy_url: str | None = None
    status: str = "unchecked"
    sort_order: int = 0
    last_checked_at: str | None = None
    last_error: str | None = None
    failure_count: int = 0
    created_at: str = ""
    updated_at: str = ""

    def redacted(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if key != "token"}

    def session(self) -> SessionToken:
        """formatManagedToken: `${proxyUrl}@${region === "cn" ? "" : region + "-"}${token}`."""
        prefix = "" if self.region == "cn" else f"{self.region}-"
        raw = f"{self.proxy_url}@{prefix}{self.token}" if self.proxy_url else f"{prefix}{self.token}"
        return parse_token(raw)


_USABLE = frozenset(("unchecked", "healthy"))


def _rotation_order(token: ManagedToken) -> tuple[int, str]:
    return token.sort_order, token.id


@dataclass
class Accounts:
    """Everything the server keeps in Postgres and upstream keeps per account, in memory, reset with the mock."""

    randomness: RandomSource
    configured_keys: frozenset[str] = frozenset()
    limit: int = 10_000
    """API keys, managed tokens and credit accounts, each at most (the `max_accounts` setting)."""
    credits: dict[tuple[str, bytes], CreditAccount] = field(default_factory=dict)
    """By region and a digest of the session id: any caller's token opens an account, whatever its length."""
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    tokens: dict[str, ManagedToken] = field(default_factory=dict)
    last_token_id: str | None = None

    def reset(self, now: float) -> None:
        self.credits.clear()
        self.api_keys.clear()
        self.tokens.clear()
        self.last_token_id = None
        for secret in sorted(self.configured_keys):
            self.issue_key("configured", now, secret=secret)
        self.add_token({"name": "mock-default", "token": "mock-session"}, now)

    # -- ids and time -------------------------------------------------------------------------
    def new_id(self, family: str) -> str:
        number = self.randomness.local_number(f"jimeng2api:{family}")
        return random_uuid(self.randomness.stream(f"jimeng2api:{family}:{number}"))

    @staticmethod
    def stamp(now: float) -> str:
        """ISO 8601 in UTC with milliseconds."""
        return utc_stamp(math.floor(now), "%Y-%m-%dT%H:%M:%S") + f".{int(now * 1000) % 1000:03d}Z"

    # -- API keys -------------------------------------------------------------------------------
    def issue_key(self, name: str, now: float, secret: str | None = None) -> ApiKey:
        key_id = self.new_id("api-key")
        if secret is None:
            secret = "jm_" + self.randomness.token(f"api-key-secret:{key_id}", 32)
        key = ApiKey(key_id, name, secret, created_at=self.stamp(now))
        self.api_keys[key_id] = key
        return key

    def find_key(self, secret: str) -> ApiKey | None:
        for key in self.api_keys.values():
            if key.secret == secret and key.status == "active":
                return key
        return None

    @property
    def legacy_mode(self) -> bool:
        """Session tokens are accepted as bearer credentials unless the mock was given API keys to require."""
        return not self.configured_keys

    # -- managed tokens -------------------------------------------------------------------------
    def add_token(self, fields: dict[str, Any], now: float) -> ManagedToken:
        stamp = self.stamp(now)
        token = ManagedToken(self.new_id("token"), str(fields["name"]), str(fields["token"]), created_at=stamp)
        token.updated_at = stamp
        self.patch_token(token, fields, now)
        self.tokens[token.id] = token
        return token

    def patch_token(self, token: ManagedToken, fields: dict[str, Any], now: float) -> None:
        for name in ("name", "token", "region", "proxy_url", "status", "sort_order"):
            if name in fields:
                setattr(token, name, fields[name])
        token.updated_at = self.stamp(now)

    def next_token(self) -> ManagedToken | None:
        """Round-robin over healthy or unchecked tokens ordered by (sort_order, id), after the last one used."""
        usable = sorted((t for t in self.tokens.values() if t.status in _USABLE), key=_rotation_order)
        if not usable:
            return None
        start = 0
        for number, token in enumerate(usable):
            if token.id == self.last_token_id:
                start = number + 1
                break
        chosen = usable[start % len(usable)]
        self.last_token_id = chosen.id
        return chosen

    # -- credits --------------------------------------------------------------------------------
    def account(self, session: SessionToken, now: float) -> CreditAccount:
        """The session's credits; past `limit` accounts the oldest is forgotten (seen again, it starts afresh)."""
        key = (
            session.region,
            hashlib.blake2b(session.session_id.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
        )
        account = self.credits.get(key)
        if account is None:
            if len(self.credits) >= self.limit:
                del self.credits[next(iter(self.credits))]
            account = self.credits[key] = CreditAccount(DAILY_CREDITS[session.region], day_of(now))
        return account

    def receive(self, session: SessionToken, now: float) -> bool:
        """credit_receive: the daily gift, once per day (Asia/Shanghai)."""
        return self._receive(self.account(session, now), session.region, now)

    @staticmethod
    def _receive(account: CreditAccount, region: str, now: float) -> bool:
        today = day_of(now)
        if account.received_day == today:
            return False
        account.received_day = today
        account.balance += DAILY_CREDITS[region]
        return True

    def spend(self, session: SessionToken, cost: int, now: float) -> bool:
        """Deduct `cost`; an empty balance first tries the daily receive, as the video controller does."""
        account = self.account(session, now)
        if account.balance <= 0:
            self._receive(account, session.region, now)
        if account.balance < cost:
            return False
        account.balance -= cost
        return True
