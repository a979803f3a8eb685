"""The Ray engine: the same supervised per-document run, on Ray actors.

Each actor (one CPU) owns a ``Slot``, a supervised worker process on the actor's node, so the
deadline, the memory limit and crash isolation are enforced the same way as locally, on every
node. The driver keeps one document in flight per actor and writes outputs and the ledger
itself: workers return their result files, so only the inputs must be readable from the nodes
(the same path on every node, e.g. a shared filesystem). An actor that dies itself (its node
lost) costs the document in flight (``batch.crashed``) and is replaced.

Ray is an optional extra: ``pip install 'extractor[ray]'``.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from extractor.batch.limits import TokenBudget
from extractor.batch.types import Job, Limits, Outcome
from extractor.batch.worker import Slot, failed_result, outcome_of
from extractor.config import ExtractConfig
from extractor.errors import Code, ConfigError

if TYPE_CHECKING:
    from extractor.batch.types import BatchOptions


class SlotActor:
    """A Ray actor around one supervised worker process."""

    def __init__(
        self, fn_spec: str, config_json: str, limits: Limits, env: dict[str, str] | None = None
    ) -> None:
        self._slot = Slot(fn_spec, ExtractConfig.model_validate_json(config_json), limits, env)

    def run(self, job: Job) -> Outcome:
        return self._slot.run(job)

    def close(self) -> None:
        self._slot.close()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "the Ray engine needs Ray: pip install 'extractor[ray]'", code=Code.CONFIG_MISSING_EXTRA
        ) from exc
    return ray


def run_ray(jobs: list[Job], config: ExtractConfig, options: BatchOptions) -> Iterator[Outcome]:
    """Run jobs on Ray actors (a cluster at ``options.address``, else a local instance that
    is shut down at the end); yields outcomes as they finish."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        if options.address:
            ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(num_cpus=options.worker_count(), include_dashboard=False, log_to_driver=False)
        started = True
    actor_cls = ray.remote(num_cpus=1, max_restarts=0)(SlotActor)
    config_json = config.model_dump_json()

    def new_actor() -> Any:
        return actor_cls.remote(
            options.document_fn, config_json, options.limits, options.worker_env()
        )

    # one actor per CPU of the cluster unless told
    cpus = options.workers or max(int(ray.cluster_resources().get("CPU", 1)), 1)
    n = min(cpus, max(len(jobs), 1))
    actors: dict[int, Any] = {i: new_actor() for i in range(n)}
    queues: dict[int, list[Any]] = {i: [] for i in range(n)}  # refs per actor, in run order
    inflight: dict[Any, tuple[int, Job]] = {}
    pending = deque(jobs)
    budget = TokenBudget(options.token_budget)
    next_key = n

    def fill(key: int) -> None:
        # two documents queued per actor: the actor starts the next one while the driver
        # writes the outputs of the last (each document's deadline runs in its slot)
        while pending and len(queues[key]) < 2:
            job = budget.tag(pending.popleft())
            ref = actors[key].run.remote(job)
            inflight[ref] = (key, job)
            queues[key].append(ref)

    try:
        for key in list(actors):
            fill(key)
        while inflight:
            ready, _ = ray.wait(list(inflight), num_returns=1)
            ref = ready[0]
            key = inflight[ref][0]
            try:
                out: Outcome = ray.get(ref)
            except ray.exceptions.RayActorError as exc:
                # the actor process itself died (its node lost, or killed): the document it
                # was running is failed, the ones queued behind it go to a new actor
                lost = queues.pop(key)
                ray.kill(actors.pop(key))
                victim = inflight.pop(lost[0])[1]
                for r in reversed(lost[1:]):
                    pending.appendleft(inflight.pop(r)[1])
                actors[next_key], queues[next_key] = new_actor(), []
                fill(next_key)
                next_key += 1
                msg = f"the Ray actor running this document died ({type(exc).__name__})"
                yield outcome_of(victim, failed_result(victim, Code.BATCH_CRASHED, msg))
                continue
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if isinstance(exc.cause, Exception) else exc
                if isinstance(cause, ConfigError):
                    raise cause from exc
                raise
            del inflight[ref]
            queues[key].remove(ref)
            budget.spend(out)
            fill(key)
            yield out
    finally:
        # stop the actors' worker processes before the actors
        with contextlib.suppress(Exception):
            ray.get([a.close.remote() for a in actors.values()], timeout=30)
        for actor in actors.values():
            with contextlib.suppress(Exception):
                ray.kill(actor)
        if started:
            ray.shutdown()
