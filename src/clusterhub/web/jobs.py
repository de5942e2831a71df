"""Small in-process jobs for the dashboard: a computation that takes seconds runs in a background
thread while the page polls its stage and the fraction done, then fetches its answer.

Why in process and one worker: the dashboard's long answers (a week of energy-park optimised
jointly and alone) take seconds of one core; one worker keeps them from competing, and nothing
needs to survive a restart (the page simply asks again). Jobs belong to the tenant that started
them: another tenant's job id is answered exactly like an unknown one (``NotFound``).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from clusterhub.errors import ClusterhubError, NotFound

__all__ = ["Job", "Jobs", "State"]

State = Literal["queued", "running", "done", "failed"]
#: The work of a job: told how to report progress (stage in words, fraction 0..1), it answers.
Work = Callable[[Callable[[str, float], None]], dict[str, Any]]


@dataclass
class Job:
    """One computation's state as the page sees it; changed only under ``Jobs``' lock."""

    id: str
    owner: str
    state: State = "queued"
    stage: str = "waiting for an earlier computation"
    fraction: float = 0.0
    result: dict[str, Any] | None = None
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, stage: str, fraction: float) -> None:
        """A stage reached; the fraction never goes back."""
        with self.lock:
            self.stage = stage
            self.fraction = max(self.fraction, min(1.0, fraction))

    def public(self) -> dict[str, Any]:
        with self.lock:
            answer: dict[str, Any] = {
                "id": self.id,
                "state": self.state,
                "stage": self.stage,
                "fraction": round(self.fraction, 3),
            }
            if self.state == "done":
                answer["result"] = self.result
            if self.state == "failed":
                answer["error"] = self.error
            return answer


class Jobs:
    """The jobs of one app: started with ``submit``, read with ``get`` by their owner only. The
    last ``keep`` jobs are remembered; older finished ones are forgotten."""

    def __init__(self, *, workers: int = 1, keep: int = 32) -> None:
        self.keep = keep
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="web-job")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def submit(self, owner: str, work: Work) -> Job:
        """Queue ``work`` for ``owner`` (a tenant); answers at once with the queued job."""
        job = Job(id=uuid.uuid4().hex, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
            finished = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
            for k in finished[: max(0, len(self._jobs) - self.keep)]:
                del self._jobs[k]
        self._pool.submit(self._run, job, work)
        return job

    def get(self, owner: str, job_id: str) -> dict[str, Any]:
        """The job's state, stage and fraction, with its answer once done; ``NotFound`` for an
        unknown id and for another owner's job alike."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise NotFound(f"no job {job_id!r}")
        return job.public()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        with job.lock:
            job.state = "running"
            job.stage = "starting"
        try:
            result = work(job.report)
        except ClusterhubError as exc:
            with job.lock:
                job.state, job.error = "failed", str(exc)
            return
        except Exception as exc:  # a failure is shown on the page, not raised in a thread
            with job.lock:
                job.state, job.error = "failed", f"the computation failed: {type(exc).__name__}"
            return
        with job.lock:
            job.state, job.result, job.stage, job.fraction = "done", result, "done", 1.0
