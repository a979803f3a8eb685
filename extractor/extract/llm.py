"""The one module that imports openai and instructor: an OpenAI-compatible chat endpoint asked
for a pydantic model, with a disk cache and transport retries.

Two retry layers that never multiply:

* transport (here, :meth:`LlmClient.ask`): 429 (honouring Retry-After), 5xx, timeouts and
  connection errors are retried with exponential backoff, at most ``transport_retries`` times
  per request and never past the chunk's deadline. The openai client itself retries nothing
  (``max_retries=0``).
* validation (the caller, extract/assist.py): an answer that does not parse, does not
  validate or is not grounded in the chunk is sent back as a re-ask, at most ``max_reasks``
  per chunk. instructor is called with ``max_retries=0``: one HTTP request per call.

Cache: an answer (parsed or not) is stored under a key made of the model, the prompt version,
the response schema, the instructor mode, the temperature and the messages; the API key and the
endpoint are not part of it. A re-run of the same document makes no request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ValidationError

from extractor.config import LlmOptions
from extractor.errors import Code

M = TypeVar("M", bound=BaseModel)

RequestGate = Callable[[], AbstractContextManager[object]]
"""A context-manager factory entered around each HTTP request (a batch-wide concurrency cap)."""

_MODES = {
    "json": instructor.Mode.JSON,
    "tools": instructor.Mode.TOOLS,
    "md_json": instructor.Mode.MD_JSON,
}
MAX_BACKOFF_S = 30.0


@dataclass
class Answer(Generic[M]):
    """One model answer: the parsed model, or the problem that kept it from parsing; or a
    transport failure (``error`` set, no answer at all)."""

    parsed: M | None = None
    content: str | None = None  # the answer's text, to show the model in a re-ask
    problem: str | None = None  # parse/validation problem (goes back in a re-ask)
    error: str | None = None  # "llm.deadline", "llm.transport", "llm.rejected": no answer
    detail: str | None = None  # what the endpoint or the connection said, for the message
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


@dataclass
class ClientStats:
    """What this client did in this run (for the run sidecar and tests, not the result)."""

    requests: int = 0  # HTTP requests attempted
    transport_retries: int = 0
    cache_hits: int = 0
    ungrounded: int = 0  # values rejected: printed nowhere in their chunk
    misplaced: int = 0  # values rejected: printed, but not in the cell the answer named
    errors: dict[str, int] = field(default_factory=dict)


def _no_gate() -> AbstractContextManager[object]:
    return contextlib.nullcontext()


class LlmClient:
    """An OpenAI-compatible endpoint asked through instructor. One instance per worker (its
    ``stats`` are plain counters); a batch shares a concurrency cap through ``gate``."""

    def __init__(
        self,
        options: LlmOptions,
        *,
        gate: RequestGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not options.model:
            raise ValueError("LlmClient needs a model (EXTRACTOR_LLM_MODEL)")
        self.options = options
        self.model: str = options.model
        self.stats = ClientStats()
        self._gate = gate or _no_gate
        self._sleep = sleep
        self.clock = clock
        raw = openai.OpenAI(
            base_url=options.base_url,
            # local servers take any key; the openai client insists on one
            api_key=options.api_key.get_secret_value() or "unused",
            max_retries=0,  # transport retries are ours, below
        )
        self._client: Any = instructor.from_openai(raw, mode=_MODES[options.instructor_mode])

    def endpoint(self) -> str:
        """Which model at which endpoint, for messages (never the key)."""
        return f"model {self.model!r} at {self.options.base_url or 'the OpenAI API'}"

    def _scrub(self, text: str) -> str:
        key = self.options.api_key.get_secret_value()
        return text.replace(key, "***") if key else text

    # ------------------------------------------------------------ cache

    def cache_key(self, messages: list[dict[str, str]], model: type[BaseModel], prompt: str) -> str:
        blob = json.dumps(
            {
                "model": self.model,
                "prompt_version": prompt,
                "schema": model.model_json_schema(),
                "mode": self.options.instructor_mode,
                "temperature": self.options.temperature,
                "messages": messages,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        d = self.options.cache_dir
        return None if d is None else d / key[:2] / f"{key}.json"

    def _cache_get(self, key: str) -> dict[str, Any] | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is a miss
        return data if isinstance(data, dict) else None

    def _cache_put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader never sees half an entry

    # ------------------------------------------------------------ asking

    def ask(
        self,
        messages: list[dict[str, str]],
        response_model: type[M],
        *,
        prompt_version: str,
        deadline: float,
    ) -> Answer[M]:
        """One answer for ``messages`` (from the cache, or one request plus transport retries).
        ``deadline`` is a ``clock()`` time; nothing is sent after it."""
        key = self.cache_key(messages, response_model, prompt_version)
        hit = self._cache_get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return self._from_entry(hit, response_model)
        answer = self._request(messages, response_model, deadline)
        if answer.error is None:
            self._cache_put(
                key,
                {
                    "content": answer.content,
                    "problem": answer.problem,
                    "parsed": answer.parsed is not None,
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                },
            )
        else:
            self.stats.errors[answer.error] = self.stats.errors.get(answer.error, 0) + 1
        return answer

    @staticmethod
    def _from_entry(entry: dict[str, Any], model: type[M]) -> Answer[M]:
        parsed: M | None = None
        content = entry.get("content")
        if entry.get("parsed") and isinstance(content, str):
            try:
                parsed = model.model_validate_json(content)
            except ValidationError:
                parsed = None
        return Answer(
            parsed=parsed,
            content=content if isinstance(content, str) else None,
            problem=entry.get("problem"),
            prompt_tokens=int(entry.get("prompt_tokens", 0)),
            completion_tokens=int(entry.get("completion_tokens", 0)),
            cached=True,
        )

    def _request(
        self, messages: list[dict[str, str]], model: type[M], deadline: float
    ) -> Answer[M]:
        attempt = 0
        detail: str | None = None
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return Answer(error=Code.LLM_DEADLINE, detail=detail)
            wait: float | None = None
            try:
                with self._gate():
                    self.stats.requests += 1
                    return self._one(messages, model, remaining)
            except openai.APIStatusError as exc:
                detail = self._scrub(f"HTTP {exc.status_code}: {_short(exc)}")
                if exc.status_code != 429 and exc.status_code < 500:
                    # 4xx: asking again will not help
                    return Answer(error=Code.LLM_REJECTED, detail=detail)
                wait = _retry_after(exc)
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                cause = exc.__cause__
                detail = self._scrub(f"{exc}" + (f" ({cause})" if cause else ""))
                wait = None
            if attempt >= self.options.transport_retries:
                return Answer(error=Code.LLM_TRANSPORT, detail=detail)
            delay = wait if wait is not None else self.options.backoff_s * (2**attempt)
            delay = min(delay, MAX_BACKOFF_S)
            if self.clock() + delay >= deadline:
                return Answer(error=Code.LLM_DEADLINE, detail=detail)
            attempt += 1
            self.stats.transport_retries += 1
            self._sleep(delay)

    def _one(self, messages: list[dict[str, str]], model: type[M], timeout: float) -> Answer[M]:
        """Exactly one HTTP request; parse and validation failures become ``problem``."""
        try:
            parsed, completion = self._client.chat.completions.create_with_completion(
                model=self.model,
                messages=messages,
                response_model=model,
                max_retries=0,  # one request; validation re-asks belong to the caller
                timeout=timeout,
                temperature=self.options.temperature,
            )
        except (openai.APIStatusError, openai.APIConnectionError):
            raise
        except InstructorRetryException as exc:
            # instructor wraps every failure; a transport one goes to the transport layer
            if isinstance(exc.__cause__, openai.APIStatusError | openai.APIConnectionError):
                raise exc.__cause__ from None
            p, c = _usage(getattr(exc, "total_usage", None))
            return Answer(
                content=_content(exc.last_completion),
                problem=_short(exc),
                prompt_tokens=p,
                completion_tokens=c,
            )
        except (IncompleteOutputException, ValidationError, ValueError) as exc:
            completion = getattr(exc, "last_completion", None)
            p, c = _usage(getattr(completion, "usage", None))
            return Answer(
                content=_content(completion),
                problem=_short(exc),
                prompt_tokens=p,
                completion_tokens=c,
            )
        p, c = _usage(getattr(completion, "usage", None))
        return Answer(
            parsed=parsed,
            content=parsed.model_dump_json(),
            prompt_tokens=p,
            completion_tokens=c,
        )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _usage(usage: Any) -> tuple[int, int]:
    if usage is None:
        return 0, 0
    return int(getattr(usage, "prompt_tokens", 0) or 0), int(
        getattr(usage, "completion_tokens", 0) or 0
    )


def _content(completion: Any) -> str | None:
    try:
        text = completion.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None
    return text if isinstance(text, str) else None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:600]
