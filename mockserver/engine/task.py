"""A task as the engine keeps it, and the view of it at one instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.engine.lifecycle import Schedule, Status


@dataclass(slots=True)
class Task:
    id: str
    provider: str
    created_at: float
    expires_at: float
    schedule: Schedule
    request: dict[str, Any]
    """The provider's normalised view of the submit: whatever it needs to answer polls and render media."""
    scenario: str = "default"
    seed: int = 0
    """Seeds everything drawn for this task after submit (media colour, ids of results)."""
    polls: int = 0
    finished_at: float | None = None
    status_lag: float = 0.0
    derived: dict[Any, Any] | None = field(default=None, compare=False, repr=False)
    """What providers compute from the task and keep with it while it lives in memory (a finished task's result
    URLs, asked for again at every poll); never stored, so a task read from a shared store starts without."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "scenario": self.scenario,
            "seed": self.seed,
            "status_lag": self.status_lag,
            "polls": self.polls,
            "finished_at": self.finished_at,
            "request": self.request,
            "schedule": self.schedule.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        """The inverse of `to_dict`, for stores that keep tasks as JSON."""
        return cls(
            id=data["id"],
            provider=data["provider"],
            created_at=data["created_at"],
            expires_at=data["expires_at"],
            schedule=Schedule.from_dict(data["schedule"]),
            request=data["request"],
            scenario=data["scenario"],
            seed=data.get("seed", 0),
            polls=data.get("polls", 0),
            finished_at=data.get("finished_at"),
            status_lag=data.get("status_lag", 0.0),
        )


@dataclass(slots=True)
class TaskView:
    """A task and its status at `now` (a fresh snapshot each read; made on every poll, so not frozen: a frozen
    dataclass takes three times as long to build)."""

    task: Task
    status: Status
    now: float

    @property
    def state(self) -> str:
        return self.status.state

    @property
    def progress(self) -> int:
        return self.status.progress

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @property
    def succeeded(self) -> bool:
        return self.status.terminal and self.task.schedule.outcome.error is None

    @property
    def finished_at(self) -> float | None:
        return self.task.finished_at

    def to_dict(self) -> dict[str, Any]:
        return self.task.to_dict() | {"state": self.state, "progress": self.progress, "terminal": self.terminal}
