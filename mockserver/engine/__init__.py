"""Tasks, their lifecycles and where they are kept. Knows nothing of HTTP or of any gateway."""

from mockserver.engine.engine import Offload, StoreFull, Submission, TaskEngine, run_here
from mockserver.engine.lifecycle import (
    Lifecycle,
    LifecycleError,
    Outcome,
    Phase,
    Schedule,
    Status,
    StepPlan,
    current_phase,
    evaluate,
    with_timings,
)
from mockserver.engine.store import AsyncTaskStore, MemoryStore, StoreUnavailable, TaskStore
from mockserver.engine.task import Task, TaskView
from mockserver.engine.timing import Fixed, Forever, LogNormal, Polls, Uniform, parse_timing

__all__ = [
    "AsyncTaskStore",
    "Fixed",
    "Forever",
    "Lifecycle",
    "LifecycleError",
    "LogNormal",
    "MemoryStore",
    "Offload",
    "Outcome",
    "Phase",
    "Polls",
    "Schedule",
    "Status",
    "StepPlan",
    "StoreFull",
    "StoreUnavailable",
    "Submission",
    "Task",
    "TaskEngine",
    "TaskStore",
    "TaskView",
    "Uniform",
    "current_phase",
    "evaluate",
    "parse_timing",
    "run_here",
    "with_timings",
]
