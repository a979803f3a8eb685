"""A fake OpenAI-compatible chat-completions server on 127.0.0.1: a noisy oracle.

It reads the chunk fenced in the request (the grid with row and column ids, and the table
definitions listed in the system message) and answers from it, the way a model would: header
mapping by name (plus the renamings a test teaches it), rows with code, name and values copied
from their cells. Then it makes the mistakes a test seeds, on the first answer of a
conversation (or on every answer, for persistent ones):

  wrong_column   a value given under the neighbouring column
  dropped_row    a data row left out
  transposed     two adjacent digits of a value swapped
  invented       a value replaced by a number printed nowhere
  misaligned     the header mapping rotated one column (values read from the columns named)
  gullible       follows an "ignore previous instructions" line in the data (invents numbers)

and the transport faults queued for the next requests: "429" (with Retry-After), "500",
"hang" (answers after ``hang_s``), "truncate" (the JSON answer cut in half), "cut" (the
connection dropped in the middle of the HTTP body).
Every request is recorded, so tests count requests at the server.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_AMOUNT = re.compile(r"^-?[\d,]+(\.\d+)?$")
_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")
_LABEL = re.compile(r"^(项目|科目|.*编码|.*名称|类|款|项|行次|栏次)$")
_TOTAL = re.compile(r"^(合计|总计)")
_DEF_LINE = re.compile(r"^- (\S+) \((.*?)\) (.*?): columns (.*)$")
_COL_DEF = re.compile(r"^(c\d+) = (.+?)(?: \(under .*?\))?(?: \[栏次 (\S+)\])?$")


@dataclass
class Oracle:
    """What the fake model knows and which mistakes it makes."""

    renames: dict[str, str] = field(default_factory=dict)  # printed header -> column key
    titles: dict[str, str] = field(default_factory=dict)  # printed title -> definition id
    mistakes: list[str] = field(default_factory=list)  # on the first answer only
    persistent: list[str] = field(default_factory=list)  # on every answer
    faults: list[str] = field(default_factory=list)  # consumed one per request
    hang_s: float = 5.0
    retry_after: str = "0.05"
    delay_s: float = 0.0  # every answer takes this long
    # overlap shown, not hoped for: the first requests are held until this many are in flight
    # at once (at most meet_s: only clients that never overlap wait that long)
    meet: int = 0
    meet_s: float = 120.0


@dataclass
class Grid:
    title: str
    width: int
    header: list[list[str]]
    rows: list[tuple[str, list[str]]]
    raw: str


def parse_chunk(text: str) -> Grid | None:
    m = re.search(r"<<<DATA\n(.*?)\nDATA>>>", text, re.S)
    if m is None:
        return None
    title, width = "", 0
    header: list[list[str]] = []
    rows: list[tuple[str, list[str]]] = []
    for line in m.group(1).split("\n"):
        if line.startswith("title: "):
            title = line[7:]
        fields = line.split("\t")
        if fields[0] == "columns":
            width = len(fields) - 1
        elif re.fullmatch(r"h\d+", fields[0]):
            header.append(fields[1:])
        elif re.fullmatch(r"r\d+", fields[0]):
            rows.append((fields[0], fields[1:]))
    return Grid(title, width, header, rows, m.group(1))


def parse_definitions(system: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in system.split("\n"):
        m = _DEF_LINE.match(line)
        if m is None:
            continue
        cols = []
        for part in m.group(4).split("; "):
            cm = _COL_DEF.match(part)
            if cm:
                cols.append((cm.group(1), cm.group(2).split(" or "), cm.group(3)))
        out[m.group(1)] = {"title": m.group(3), "columns": cols}
    return out


def _is_amount(text: str) -> bool:
    return bool(_AMOUNT.match(text.replace(" ", ""))) and not _CODE.match(text)


def answer_for(grid: Grid, defs: dict[str, dict[str, Any]], oracle: Oracle) -> dict[str, Any]:
    """The faithful answer a good model would give."""
    if len(defs) == 1:
        definition: str | None = next(iter(defs))
    else:
        definition = oracle.titles.get(grid.title) or next(
            (d for d, v in defs.items() if v["title"] == grid.title), None
        )
    cols = defs[definition]["columns"] if definition else []
    if not grid.header:  # a whole page: the lines before the first amounts are the header
        first = next(
            (i for i, (_, r) in enumerate(grid.rows) if any(_is_amount(t.strip()) for t in r)),
            len(grid.rows),
        )
        grid = Grid(
            grid.title, grid.width, [r for _, r in grid.rows[:first]], grid.rows[first:], grid.raw
        )
    width = grid.width
    cell = lambda r, j: r[j].strip() if j < len(r) else ""  # noqa: E731
    lanci = next((h for h in grid.header if cell(h, 0) == "栏次"), None)
    names = {
        j: next((cell(h, j) for h in reversed(grid.header) if h is not lanci and cell(h, j)), "")
        for j in range(width)
    }
    value_cols = [
        j
        for j in range(width)
        if not _LABEL.search(names[j]) and any(_is_amount(cell(r, j)) for _, r in grid.rows)
    ]
    col_nos = {j: cell(lanci, j) for j in range(width)} if lanci is not None else {}
    mapping = map_columns(names, value_cols, cols, col_nos, oracle.renames)
    rows = []
    for rid, r in grid.rows:
        texts = [t.strip() for t in r]
        code = next((t for t in texts[:3] if _CODE.match(t)), None)
        name = next((t for t in texts if t and not _is_amount(t) and not _CODE.match(t)), None)
        if code is None and name is None and not any(_is_amount(t) for t in texts):
            continue
        values = {k: (cell(r, j) if _is_amount(cell(r, j)) else None) for k, j in mapping.items()}
        rows.append(
            {
                "source": rid,
                "code": code,
                "name": name,
                "total": bool(name and _TOTAL.match(name)),
                "values": values,
            }
        )
    return {
        "definition": definition,
        "columns": [{"key": k, "source": f"g{j}", "name": names[j]} for k, j in mapping.items()],
        "rows": rows,
    }


def map_columns(
    names: dict[int, str],
    value_cols: list[int],
    cols: list[tuple[str, list[str], str | None]],
    col_nos: dict[int, str],
    renames: dict[str, str] | None = None,
) -> dict[str, int]:
    """Definition column key -> grid column, the way a model maps a header: by a renaming it
    was taught, by printed name, by 栏次, then the columns left in definition order."""
    mapping: dict[str, int] = {}
    for j in value_cols:
        name = names[j]
        key = (renames or {}).get(name)
        if key is None:
            key = next((k for k, ns, _ in cols if name in ns), None)
        if key is None and j in col_nos:
            key = next((k for k, _, no in cols if no and no == col_nos[j]), None)
        if key is not None and key not in mapping:
            mapping[key] = j
    left = [c[0] for c in cols if c[0] not in mapping]
    for j in value_cols:  # columns no name matched: in definition order
        if j not in mapping.values() and left:
            mapping[left.pop(0)] = j
    return mapping


def _valued(answer: dict[str, Any], n: int = 2) -> dict[str, Any] | None:
    """The first row with at least ``n`` non-zero values (where mistakes are visible)."""
    for row in answer["rows"]:
        vals = [k for k, v in row["values"].items() if v and v.strip("0.,") != ""]
        if len(vals) >= n:
            return row
    return None


def make_mistake(answer: dict[str, Any], kind: str, grid: Grid) -> None:
    """Damage a faithful answer in place, the way a model errs."""
    if kind == "wrong_column":
        for row in answer["rows"]:
            keys = list(row["values"])
            pairs = [
                (a, b)
                for a, b in itertools.pairwise(keys)
                if row["values"][a] != row["values"][b] and (row["values"][a] or "").strip("0.,")
            ]
            if pairs:
                a, b = pairs[0]
                row["values"][a], row["values"][b] = row["values"][b], row["values"][a]
                break
    elif kind == "dropped_row":
        row = _valued(answer, 1)
        if row is not None:
            answer["rows"].remove(row)
    elif kind == "transposed":
        row = _valued(answer, 1)
        if row is not None:
            k = next(k for k, v in row["values"].items() if v and v.strip("0.,"))
            v = row["values"][k]
            digits = [i for i in range(len(v) - 1) if v[i].isdigit() and v[i + 1].isdigit()]
            i = next((i for i in digits if v[i] != v[i + 1]), None)
            if i is not None:
                row["values"][k] = v[:i] + v[i + 1] + v[i] + v[i + 2 :]
    elif kind == "invented":
        row = _valued(answer, 1)
        if row is not None:
            k = next(k for k, v in row["values"].items() if v and v.strip("0.,"))
            row["values"][k] = "8,888,888.88"
    elif kind == "misaligned":
        # header names one column off (rotated), values read consistently from the columns
        # the wrong mapping names: grounding cannot see it, the identities must
        # (in a table read in parts: the first part with two columns or more)
        part = next((p for p in answer.get("parts", []) if len(p["columns"]) >= 2), None)
        cols = part["columns"] if part is not None else answer.get("columns", [])
        n = len(cols)
        if n >= 2:
            keys = [c["key"] for c in cols]
            sources = [c["source"] for c in cols]
            for i, c in enumerate(cols):
                c["source"] = sources[(i + 1) % n]
            for row in answer["rows"]:
                if part is not None and row["part"] != part["part"]:
                    continue
                old = dict(row["values"])
                row["values"] = {k: old.get(keys[(i + 1) % n]) for i, k in enumerate(keys)}
    elif kind == "gullible" and "ignore previous instructions" in grid.raw.lower():
        for row in answer["rows"]:
            for k in row["values"]:
                row["values"][k] = "999999.99"


class FakeOpenAI:
    """The server and what it saw. Use as a context manager or ``start``/``stop``."""

    def __init__(self, oracle: Oracle | None = None) -> None:
        self.oracle = oracle or Oracle()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # most requests being answered at once
        self.release = threading.Event()
        self.met = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ answering

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(body)
            fault = self.oracle.faults.pop(0) if self.oracle.faults else None
        if fault == "429":
            return 429, {"Retry-After": self.oracle.retry_after}, b'{"error":{"message":"slow"}}'
        if fault == "500":
            return 500, {}, b'{"error":{"message":"boom"}}'
        if fault == "404":  # as servers answer a model name they do not serve
            return 404, {}, b'{"error":{"message":"model not found"}}'
        if fault == "hang":
            self.release.wait(self.oracle.hang_s)
        if fault == "cut":  # the connection drops in the middle of the body
            return 200, {"X-Cut": "1"}, b'{"id": "chatcmpl-cut", "choices": [{"ind'
        messages = body.get("messages", [])
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        users = [m["content"] for m in messages if m["role"] == "user"]
        grid = next((g for g in map(parse_chunk, users) if g is not None), None)
        if grid is None:
            content = json.dumps({"definition": None, "columns": [], "rows": []})
        else:
            from tests.fake_parts import parse_shaped, parts_answer

            shaped = parse_shaped(system)
            if shaped is not None:
                answer = parts_answer(grid, shaped)
            else:
                answer = answer_for(grid, parse_definitions(system), self.oracle)
            kinds = list(self.oracle.persistent)
            if len(users) == 1:
                kinds = list(self.oracle.mistakes) + kinds
            for kind in kinds:
                make_mistake(answer, kind, grid)
            content = json.dumps(answer, ensure_ascii=False)
        if fault == "truncate":
            content = content[: len(content) // 2]
        message: dict[str, Any] = {"role": "assistant", "content": content}
        finish = "stop"
        if body.get("tools"):  # instructor's tools mode: the answer as the schema's call
            name = body["tools"][0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": name, "arguments": content},
                    }
                ],
            }
            finish = "tool_calls"
        elif "response_format" not in body:  # md_json: a fenced block in prose
            message["content"] = f"Here is the table:\n```json\n{content}\n```"
        prompt_chars = sum(len(m.get("content") or "") for m in messages)
        reply = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt_chars // 2,
                "completion_tokens": len(content) // 2,
                "total_tokens": prompt_chars // 2 + len(content) // 2,
            },
        }
        return 200, {}, json.dumps(reply, ensure_ascii=False).encode("utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    fake.met.notify_all()
                    fake.met.wait_for(
                        lambda: fake.max_in_flight >= fake.oracle.meet, fake.oracle.meet_s
                    )
                try:
                    if fake.oracle.delay_s:
                        time.sleep(fake.oracle.delay_s)
                    status, headers, payload = fake.respond(body)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    length = len(payload) * (4 if "X-Cut" in headers else 1)
                    self.send_header("Content-Length", str(length))
                    cut = headers.pop("X-Cut", None)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                    if cut:  # promised more than it sent: close the socket now
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a hang past its deadline)

        return Handler


@contextmanager
def fake_openai(oracle: Oracle | None = None) -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(oracle).start()
    try:
        yield server
    finally:
        server.stop()
