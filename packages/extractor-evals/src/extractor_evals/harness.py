"""The evaluation harness: run the pipeline over labeled cases and measure it.

A dataset is a folder of cases, each an input file (text, PDF, image) and a truth file in the
TABLE_FORMAT.md shape. The folder's ``dataset.json`` lists them
(``{"name": ..., "cases": [{"input": "...", "truth": "...", "labels": [...]}]}``); without one,
every input ``X.*`` with a ``truth/X.json`` or ``X.truth.json`` beside it is a case. Labels
(known source inconsistencies or injected damage) come from ``labels`` or the truth's
``meta.expected_findings``. ``generated:N[:SEED]`` names N generated reports with injections,
``generated-budget:N[:SEED]`` N generated 预算 reports; ``generated-budget-pdf:N[:SEED]`` and
``generated-budget-scan:N[:SEED]`` the same rendered as PDFs and degraded scans.
"""

from __future__ import annotations

import json
import re
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import extractor_evals.disclosure_score as disclosure_score
from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import CellRef, DocumentResult, Table
from extractor.pipeline import extract_bytes
from extractor_evals.score import score_document
from extractor_evals.truth import TruthDocument

INPUT_SUFFIXES = {".txt", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


@dataclass(frozen=True)
class Label:
    """A known problem of a case: where, and what a correct pipeline must call it."""

    kind: str  # e.g. source.total, ocr.digit, or a truth file's finding kind
    expected: str  # source_inconsistency | extraction_error
    table: str | None = None
    line: int | None = None
    page: int | None = None
    col: int | None = None


@dataclass
class Case:
    """One input and its truth (a truth mapping given here is validated into its typed form)."""

    name: str
    data: bytes
    truth: TruthDocument
    labels: list[Label] = field(default_factory=list)
    source_name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.truth, dict):
            self.truth = TruthDocument.from_json(self.truth)


@dataclass
class CaseMetrics:
    case: str
    tables_expected: int = 0
    tables_found: int = 0
    cells: int = 0
    cells_exact: int = 0
    cells_value_equal: int = 0
    nonzero_cells: int = 0
    nonzero_exact: int = 0
    rows_missing: int = 0
    rows_extra: int = 0
    hard_evaluated: int = 0
    hard_pass: int = 0
    hard_rounding: int = 0
    hard_suspect: int = 0
    hard_fail: int = 0
    hard_not_evaluated: int = 0
    extraction_errors_claimed: int = 0
    extraction_errors_injected: int = 0
    source_labels: int = 0
    source_detected_true: int = 0
    source_detected_false: int = 0
    misclassified: int = 0
    labels_found: int = 0
    silent_errors: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    pages: int = 0
    seconds: float = 0.0
    status: str = ""
    disclosure_checks: int = 0
    # family C per kind: [labels, labels found, checks matching no label of their kind]
    disclosure: dict[str, list[int]] = field(default_factory=dict)


def _value(v: Any) -> Decimal | None:
    if v is None:
        return Decimal(0)
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


_TOC_LABEL = re.compile(r"^(?:附件|附表)(\d+)$")


def _ref_matches(ref: CellRef, label: Label, tables: Sequence[Table] = ()) -> bool:
    if label.table is not None and ref.table != label.table:
        # a table printed without its number is named by its place in the 目录
        m = _TOC_LABEL.match(label.table)
        t = tables[ref.table_index] if 0 <= ref.table_index < len(tables) else None
        if not (m and t is not None and t.table_id is None and t.toc_no == int(m.group(1))):
            return False
    if label.line is not None and ref.line != label.line:
        return False
    if label.page is not None and label.line is None and ref.page != label.page:
        return False
    return label.col is None or ref.col_index == label.col


def measure(case: Case, result: DocumentResult, seconds: float) -> CaseMetrics:
    """All metrics of one case."""
    m = CaseMetrics(case=case.name, seconds=round(seconds, 4), status=result.status)
    m.pages = result.document.pages or 1
    res = result.model_dump(mode="json")
    scores = score_document(res, case.truth.to_json(), check_names=False)
    m.tables_expected = len(scores)
    m.tables_found = sum(s.found for s in scores)
    wrong: list[tuple[str, int, int]] = []
    tables_by_key = {t.table_id or t.title: i for i, t in enumerate(result.tables)}
    for s in scores:
        m.cells += s.cells
        m.cells_exact += s.equal
        m.rows_missing += max(0, s.rows_expected - s.rows_got)
        m.rows_extra += max(0, s.rows_got - s.rows_expected)
        value_wrong = sum(
            1
            for x in s.mismatches
            if x.what == "value"
            and (_value(x.expected) is None or _value(x.expected) != _value(x.got))
        )
        m.cells_value_equal += s.cells - value_wrong
        wrong.extend((s.table, x.row, x.col) for x in s.mismatches if x.what == "value")
    for tt in case.truth.tables:
        truth_rows = [r for sec in tt.sections or [] for r in sec.rows] + (tt.rows or [])
        for tr in truth_rows:
            for v in tr.values:
                if v not in (None, "——") and _value(v) not in (None, Decimal(0)):
                    m.nonzero_cells += 1
    m.nonzero_exact = m.nonzero_cells - sum(
        1
        for s in scores
        for x in s.mismatches
        if x.what == "value" and x.expected not in (None, "——") and _value(x.expected) != 0
    )
    hard = [c for c in result.checks if c.severity == "hard"]
    m.hard_evaluated = sum(1 for c in hard if c.status != "not_evaluated")
    m.hard_pass = sum(1 for c in hard if c.status == "pass")
    m.hard_rounding = sum(1 for c in hard if c.status == "rounding")
    m.hard_suspect = sum(1 for c in hard if c.status == "suspect")
    m.hard_fail = sum(1 for c in hard if c.status == "fail")
    m.hard_not_evaluated = sum(1 for c in hard if c.status == "not_evaluated")
    m.extraction_errors_claimed = sum(1 for c in hard if c.classification == "extraction_error")
    m.extraction_errors_injected = sum(1 for lb in case.labels if lb.expected == "extraction_error")
    # detection of source inconsistencies against the labels (by the cell the label names)
    source_labels = [lb for lb in case.labels if lb.expected == "source_inconsistency"]
    m.source_labels = len(source_labels)
    # hard identities and the soft claims (narrative, annex scores) that fail; the disclosure
    # checks (family C) are scored per kind apart (evals/disclosure_score.py)
    detected = [
        c
        for c in result.checks
        if c.classification == "source_inconsistency" and c.family != "C"
    ]
    hit_labels = {
        i
        for i, lb in enumerate(source_labels)
        if any(_ref_matches(ref, lb, result.tables) for c in detected for ref in c.cells)
    }
    m.source_detected_true = len(hit_labels)
    other_labels = [lb for lb in case.labels if lb.expected != "source_inconsistency"]
    # a source-classified check explained by an injected extraction error is a misclassified
    # case (counted apart), not a spurious inconsistency
    m.misclassified = sum(
        1
        for c in detected
        if not any(_ref_matches(ref, lb, result.tables) for lb in source_labels for ref in c.cells)
        and any(_ref_matches(ref, lb, result.tables) for lb in other_labels for ref in c.cells)
    )
    m.source_detected_false = sum(
        1
        for c in detected
        if not any(_ref_matches(ref, lb, result.tables) for lb in case.labels for ref in c.cells)
    )
    m.labels_found = sum(
        1
        for lb in case.labels
        if any(
            _ref_matches(ref, lb, result.tables)
            for c in result.checks
            if c.status in ("fail", "suspect", "not_evaluated", "warn")
            for ref in c.cells
        )
    )
    # silent errors: a wrong cell no failing/suspect/not-evaluated check and no cell flag covers
    covered: set[tuple[int, int, int]] = set()
    for c in result.checks:
        if c.status in ("fail", "suspect", "not_evaluated"):
            covered.update((ref.table_index, ref.row_index, ref.col_index) for ref in c.cells)
    for ti, t in enumerate(result.tables):
        rows = t.rows if not t.sections else [r for s in t.sections for r in s.rows]
        for ri, r in enumerate(rows):
            for ci, cell in enumerate(r.cells):
                if cell.status in ("low_confidence", "unparsed", "realigned", "short_row"):
                    covered.add((ti, ri, ci))
    # a table the result names as not read in its definition's shape is flagged as a whole
    flagged = {e.table_index for e in result.errors if e.code == "extract.layout_unmapped"}
    for table, ri, ci in wrong:
        tix = tables_by_key.get(table)
        if tix is None or ((tix, ri, ci) not in covered and tix not in flagged):
            m.silent_errors += 1
    m.disclosure_checks = sum(1 for c in result.checks if c.family == "C")
    m.disclosure = disclosure_score.case_scores(case.labels, result.checks)
    m.llm_calls = result.usage.llm_calls
    m.prompt_tokens = result.usage.prompt_tokens
    m.completion_tokens = result.usage.completion_tokens
    return m


# ---------------------------------------------------------------- datasets


_PLACE = re.compile(r"^(\S+?)\s+l\.(\d+)")  # "附件5 l.271"


def _labels_from_truth(truth: TruthDocument | dict[str, Any]) -> list[Label]:
    """A label per place a truth file's expected finding names: its ``where`` ("附件1 l.194 /
    附件8 l.309 vs 附件3 …": the places before "vs") and the ``where`` of its instances."""
    meta = (TruthDocument.from_json(truth) if isinstance(truth, dict) else truth).meta
    out: list[Label] = []
    for f in (meta.expected_findings if meta else None) or []:
        if not isinstance(f, dict):
            continue
        kind = str(f.get("kind") or f.get("rule") or "finding")
        table, line = f.get("table_id") or f.get("table"), f.get("line")
        places = str(f.get("where", "")).split(" vs ")[0].split(" / ")
        more = [str(inst.get("where", "")) for inst in f.get("instances") or []]
        first = _PLACE.match(places[0])
        if first:
            table, line = table or first.group(1), line or int(first.group(2))
        out.append(Label(kind, "source_inconsistency", table=table, line=line, page=f.get("page")))
        seen = {(table, line)}
        for text in [*places[1:], *more]:
            m = _PLACE.match(text)
            if m and (m.group(1), int(m.group(2))) not in seen:
                seen.add((m.group(1), int(m.group(2))))
                out.append(
                    Label(kind, "source_inconsistency", table=m.group(1), line=int(m.group(2)))
                )
    return out


def _read_truth(path: Path) -> TruthDocument:
    return TruthDocument.from_json(json.loads(path.read_text(encoding="utf-8")))


def load_dataset(folder: Path) -> list[Case]:
    """The cases of a dataset folder (see the module docstring)."""
    manifest = folder / "dataset.json"
    cases: list[Case] = []
    if manifest.is_file():
        spec = json.loads(manifest.read_text(encoding="utf-8"))
        for c in spec["cases"]:
            truth = _read_truth(folder / c["truth"])
            labels = [Label(**lb) for lb in c.get("labels", [])] or _labels_from_truth(truth)
            src = folder / c["input"]
            cases.append(Case(c.get("name", src.stem), src.read_bytes(), truth, labels, src.name))
        return cases
    for src in sorted(p for p in folder.iterdir() if p.suffix.lower() in INPUT_SUFFIXES):
        for cand in (folder / "truth" / f"{src.stem}.json", folder / f"{src.stem}.truth.json"):
            if cand.is_file():
                truth = _read_truth(cand)
                cases.append(
                    Case(src.stem, src.read_bytes(), truth, _labels_from_truth(truth), src.name)
                )
                break
    return cases


def generated_dataset(n: int, seed: int = 0) -> list[Case]:
    """N generated 决算 reports as text, each clean or with one labeled injection."""
    from extractor_evals.inject import KINDS, make_case

    cases: list[Case] = []
    kinds: list[str | None] = [None, *KINDS]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        text, truth, injections = make_case(seed + i, kind)
        # a shifted or dropped cell damages its row from that column on: label the row
        labels = [
            Label(
                kind=j.kind,
                expected=j.expected,
                table=j.table_id,
                line=j.line,
                col=None if j.kind in ("ocr.shift", "ocr.drop_cell") else j.col,
            )
            for j in injections
        ]
        cases.append(
            Case(
                f"gen{seed + i:04d}-{kind or 'clean'}",
                text.encode("utf-8"),
                TruthDocument.from_json(truth),
                labels,
                f"gen{seed + i:04d}.txt",
            )
        )
    return cases


def generated_budget_dataset(n: int, seed: int = 0) -> list[Case]:
    """N generated 预算 reports as text: clean, each budget injection kind in turn, and clean
    reports printed with 004's layout traps (rows that lost or gained an empty cell, headers
    one cell left of their grid)."""
    from extractor_evals.inject_budget import BUDGET_KINDS, make_budget_case
    from extractor_evals.render_budget import TRAPS

    kinds: list[str | None] = [None, *BUDGET_KINDS, "traps"]
    cases: list[Case] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        trap = kind == "traps"
        text, truth, injections = make_budget_case(
            seed + i, None if trap else kind, traps=TRAPS if trap else ()
        )
        labels = [
            Label(
                kind=j.kind,
                expected=j.expected,
                # a narrative claim is named by its line alone
                table=None if j.table_id == "narrative" else j.table_id,
                # a cross-table change moves an item, its 类 and 合计 of 附件20 together: each
                # of the three rows fails its own equality with 附件9/10, so the label is the table
                line=None if j.kind == "source.cross_table" else j.line,
                col=None if j.kind in ("narrative.percent", "source.cross_table") else j.col,
            )
            for j in injections
        ]
        cases.append(
            Case(
                f"budget{seed + i:04d}-{kind or 'clean'}",
                text.encode("utf-8"),
                TruthDocument.from_json(truth),
                labels,
                f"budget{seed + i:04d}.txt",
            )
        )
    return cases


def generated_rendered(n: int, seed: int, form: str) -> list[Case]:
    """N clean generated reports rendered as text-layer PDFs (``pdf``, the renderer's styles
    in turn) or as degraded 150 dpi scans (``scan``, read by OCR); ``budget-pdf`` and
    ``budget-scan`` do the same with generated 预算 reports."""
    from extractor_evals.degrade import ScanStyle, degrade_pdf
    from extractor_evals.generate import generate_final_report
    from extractor_evals.generate_budget import generate_budget_report
    from extractor_evals.render_pdf import STYLES, render_pdf

    budget = form.startswith("budget-")
    kind = form.removeprefix("budget-")
    styles = list(STYLES)
    cases: list[Case] = []
    for i in range(n):
        doc = generate_budget_report(seed + i) if budget else generate_final_report(seed + i)
        style = styles[i % len(styles)] if kind == "pdf" else "ruled_portrait"
        pdf = render_pdf(doc, STYLES[style], seed=seed + i)
        if kind == "scan":
            pdf = degrade_pdf(pdf, ScanStyle(dpi=150), seed=seed + i)
        stem = f"{'budget' if budget else 'gen'}{seed + i:04d}"
        cases.append(
            Case(f"{stem}-{kind}-{style}", pdf, TruthDocument.from_json(doc), [], f"{stem}.pdf")
        )
    return cases


def generated_layout_dataset(n: int, seed: int = 0, family: str | None = None) -> list[Case]:
    """N clean generated 决算 text reports in the layout families (evals/layout_families.py),
    the families in turn (or ``family`` only), each drawing its parameters from its seed."""
    from extractor_evals.layout_families import FAMILIES, layout_case

    cases: list[Case] = []
    for i in range(n):
        fam = family or FAMILIES[i % len(FAMILIES)]
        text, truth = layout_case(fam, seed + i)
        stem = f"layout{seed + i:04d}"
        typed = TruthDocument.from_json(truth)
        cases.append(Case(f"{stem}-{fam}", text.encode("utf-8"), typed, [], f"{stem}.txt"))
    return cases


def truth_variants_dataset(path: Path, n: int, seed: int = 0) -> list[Case]:
    """N text reports of one truth file (a real report's hand-checked truth) in the layout
    families in turn, a 预算 under the scopes 部门 / 单位 / neither
    (layout_families.truth_variant): ``variants:PATH:N[:SEED]``."""
    from extractor_evals.layout_families import truth_variant

    doc = json.loads(path.read_text(encoding="utf-8"))
    cases: list[Case] = []
    for i in range(n):
        text, truth = truth_variant(doc, seed + i)
        stem = f"{path.stem}-v{seed + i:04d}"
        typed = TruthDocument.from_json(truth)
        cases.append(Case(stem, text.encode("utf-8"), typed, [], f"{stem}.txt"))
    return cases


def generated_layout_pdf_dataset(n: int, seed: int = 0, family: str | None = None) -> list[Case]:
    """N clean generated 决算 reports as text-layer PDFs, two-sided tables with their side
    headings named or not and their sides stacked or not (layout_families.pdf_layout_case),
    or in one PDF layout family (landscape, partial_rules, header_wrap: pdf_family_case)."""
    from extractor_evals.layout_families import pdf_family_case, pdf_layout_case

    cases: list[Case] = []
    for i in range(n):
        if family:
            pdf, truth, style = pdf_family_case(family, seed + i)
        else:
            pdf, truth, style = pdf_layout_case(seed + i)
        stem = f"layout{seed + i:04d}"
        typed = TruthDocument.from_json(truth)
        cases.append(Case(f"{stem}-pdf_{style}", pdf, typed, [], f"{stem}.pdf"))
    return cases


#: a dataset builder: N cases from a first seed
Builder = Callable[[int, int], list[Case]]
#: a builder of one layout family (None: the families in turn)
FamilyBuilder = Callable[[int, int, str | None], list[Case]]

def generated_disclosure_dataset(n: int, seed: int = 0) -> list[Case]:
    """N generated 决算 reports with a cover and a 情况说明, clean and each disclosure defect
    (family C) in turn (inject_disclosure.py)."""
    from extractor_evals.inject_disclosure import DISCLOSURE_KINDS, make_disclosure_case

    kinds: list[str | None] = [None, *DISCLOSURE_KINDS]
    cases: list[Case] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        text, truth, injections = make_disclosure_case(seed + i, kind)
        labels = [
            Label(
                kind=j.kind,
                expected=j.expected,
                table=None if j.table_id == "narrative" else j.table_id,
                line=j.line,
            )
            for j in injections
        ]
        stem = f"disclosure{seed + i:04d}"
        cases.append(
            Case(
                f"{stem}-{kind or 'clean'}",
                text.encode("utf-8"),
                TruthDocument.from_json(truth),
                labels,
                f"{stem}.txt",
            )
        )
    return cases


#: ``NAME:N[:SEED]`` -> its builder
DATASETS: dict[str, Builder] = {
    "generated": generated_dataset,
    "generated-budget": generated_budget_dataset,
    "generated-pdf": partial(generated_rendered, form="pdf"),
    "generated-scan": partial(generated_rendered, form="scan"),
    "generated-budget-pdf": partial(generated_rendered, form="budget-pdf"),
    "generated-budget-scan": partial(generated_rendered, form="budget-scan"),
    "generated-disclosure": generated_disclosure_dataset,
}
#: ``NAME:PATH:N[:SEED]`` -> its builder (datasets drawn from a file, e.g. a truth)
PATH_DATASETS: dict[str, Callable[[Path, int, int], list[Case]]] = {
    "variants": truth_variants_dataset,
}
#: ``NAME:N[:SEED]`` (the families in turn) and ``NAME-FAMILY:N[:SEED]`` -> its builder
FAMILY_DATASETS: dict[str, FamilyBuilder] = {
    "generated-layout": generated_layout_dataset,
    "generated-layout-pdf": generated_layout_pdf_dataset,
}


def _builder(kind: str) -> Builder | None:
    """The builder a dataset spec's name stands for; None for a folder."""
    if kind in DATASETS:
        return DATASETS[kind]
    # the longest registered name first: generated-layout-pdf-X is a PDF layout family
    for name in sorted(FAMILY_DATASETS, key=len, reverse=True):
        if kind == name or kind.startswith(name + "-"):
            return _one_family(FAMILY_DATASETS[name], kind.removeprefix(name)[1:] or None)
    return None


def _one_family(build: FamilyBuilder, family: str | None) -> Builder:
    return lambda n, seed: build(n, seed, family)


def resolve_datasets(specs: Sequence[str]) -> list[tuple[str, list[Case]]]:
    """Dataset specs to named case lists: folders, ``generated:N[:SEED]`` (text reports with
    labeled injections), ``generated-budget:N[:SEED]`` (预算 text reports with labeled
    injections and layout traps), ``generated-pdf:N[:SEED]`` and ``generated-scan:N[:SEED]``
    (clean reports as PDFs in the renderer's styles, or as degraded scans),
    ``generated-budget-pdf:N[:SEED]`` / ``generated-budget-scan:N[:SEED]`` for 预算, and
    ``generated-disclosure:N[:SEED]`` (决算 text reports with a 情况说明, clean and each
    disclosure defect in turn), ``generated-layout:N[:SEED]`` (the layout families in turn) or
    ``generated-layout-FAMILY:N[:SEED]`` (one family), ``generated-layout-pdf:N[:SEED]`` (the
    two-sided variants as PDFs), ``generated-layout-pdf-FAMILY:N[:SEED]`` (one PDF layout
    family: landscape, partial_rules, header_wrap), ``variants:PATH:N[:SEED]`` (a truth file
    in the text layout families, a 预算 under the scopes 部门/单位/neither); seeds >= 1000
    are held out. The names are those of ``DATASETS``, ``FAMILY_DATASETS`` and
    ``PATH_DATASETS``."""
    out: list[tuple[str, list[Case]]] = []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        if kind in PATH_DATASETS:  # NAME:PATH:N[:SEED]
            path, _, counts = rest.partition(":")
            n, _, first = counts.partition(":")
            out.append((spec, PATH_DATASETS[kind](Path(path), int(n), int(first or 0))))
            continue
        build = _builder(kind)
        if build is None:
            out.append((Path(spec).name, load_dataset(Path(spec))))
            continue
        parts = rest.split(":")
        seed = int(parts[1]) if len(parts) > 1 else 0
        out.append((spec, build(int(parts[0]), seed)))
    return out


# ---------------------------------------------------------------- running and reporting


@dataclass
class Report:
    datasets: dict[str, list[CaseMetrics]]
    max_rss_mib: float = 0.0

    def totals(self, cases: Iterable[CaseMetrics] | None = None) -> dict[str, Any]:
        rows = (
            list(cases) if cases is not None else [c for cs in self.datasets.values() for c in cs]
        )
        keys = [k for k, v in asdict(CaseMetrics(case="")).items() if isinstance(v, int | float)]
        tot: dict[str, Any] = {k: sum(getattr(r, k) for r in rows) for k in keys}
        tot["cases"] = len(rows)
        tot["cell_accuracy"] = _ratio(tot["cells_exact"], tot["cells"])
        tot["value_accuracy"] = _ratio(tot["cells_value_equal"], tot["cells"])
        tot["nonzero_accuracy"] = _ratio(tot["nonzero_exact"], tot["nonzero_cells"])
        claimed = tot["source_detected_true"] + tot["source_detected_false"]
        tot["source_precision"] = _ratio(tot["source_detected_true"], claimed)
        tot["source_recall"] = _ratio(tot["source_detected_true"], tot["source_labels"])
        tot["seconds_per_page"] = round(tot["seconds"] / tot["pages"], 4) if tot["pages"] else None
        tot["disclosure"] = disclosure_score.totals(r.disclosure for r in rows)
        return tot

    def to_json(self) -> dict[str, Any]:
        return {
            "datasets": {
                name: {"cases": [asdict(c) for c in cs], "totals": self.totals(cs)}
                for name, cs in self.datasets.items()
            },
            "totals": self.totals(),
            "max_rss_mib": round(self.max_rss_mib, 1),
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def run_eval(specs: Sequence[str], config: ExtractConfig, definitions: Definitions) -> Report:
    """Run every case of the datasets; metrics per case."""
    report = Report(datasets={})
    for name, cases in resolve_datasets(specs):
        metrics = []
        for case in cases:
            t0 = time.perf_counter()
            result = extract_bytes(
                case.data,
                source_name=case.source_name or case.name,
                config=config,
                definitions=definitions,
            )
            metrics.append(measure(case, result, time.perf_counter() - t0))
        report.datasets[name] = metrics
    report.max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


COLUMNS = [
    ("case", "case"),
    ("tables", "tables_found"),
    ("/exp", "tables_expected"),
    ("cells", "cells"),
    ("exact", "cells_exact"),
    ("rows-", "rows_missing"),
    ("rows+", "rows_extra"),
    ("hard", "hard_evaluated"),
    ("pass", "hard_pass"),
    ("round", "hard_rounding"),
    ("susp", "hard_suspect"),
    ("fail", "hard_fail"),
    ("n/e", "hard_not_evaluated"),
    ("xerr", "extraction_errors_claimed"),
    ("src+", "source_detected_true"),
    ("src-", "source_detected_false"),
    ("labels", "source_labels"),
    ("silent", "silent_errors"),
    ("C", "disclosure_checks"),
    ("s", "seconds"),
]


def format_table(report: Report, *, markdown: bool = False) -> str:
    """The terminal (or Markdown) table: one row per case, totals per dataset and overall."""
    lines: list[str] = []
    heads = [h for h, _ in COLUMNS]
    if markdown:
        lines.append("| " + " | ".join(heads) + " |")
        lines.append("|" + "---|" * len(heads))
    else:
        lines.append("  ".join(f"{h:>7}" if i else f"{h:<28}" for i, h in enumerate(heads)))
    for name, cases in report.datasets.items():
        rows = [asdict(c) for c in cases] + [{**report.totals(cases), "case": f"= {name}"}]
        for r in rows:
            vals = [str(r.get(k, "")) for _, k in COLUMNS]
            if markdown:
                lines.append("| " + " | ".join(vals) + " |")
            else:
                lines.append(
                    "  ".join(f"{v:>7}" if i else f"{v[:28]:<28}" for i, v in enumerate(vals))
                )
    t = report.totals()
    summary = (
        f"cells {t['cells_exact']}/{t['cells']} exact ({_pct(t['cell_accuracy'])}), non-zero "
        f"{_pct(t['nonzero_accuracy'])}; hard checks {t['hard_evaluated']} evaluated, "
        f"{t['hard_fail']} fail, {t['hard_suspect']} suspect; source inconsistencies precision "
        f"{_pct(t['source_precision'])} recall {_pct(t['source_recall'])} "
        f"({t['source_labels']} labeled); labels caught by a check {t['labels_found']}; "
        f"misclassified {t['misclassified']}; extraction errors claimed "
        f"{t['extraction_errors_claimed']} / injected {t['extraction_errors_injected']}; "
        f"silent errors {t['silent_errors']}; "
        f"{t['seconds_per_page']} s/page; LLM calls {t['llm_calls']}, tokens "
        f"{t['prompt_tokens'] + t['completion_tokens']}; max RSS {report.max_rss_mib:.0f} MiB"
    )
    lines.append("")
    lines.append(summary)
    line = disclosure_score.summary_line(t["disclosure"])
    if line:
        lines.append(line)
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


REGRESSION_KEYS = ("cell_accuracy", "nonzero_accuracy", "source_recall", "source_precision")


def compare(report: Report, baseline: dict[str, Any]) -> tuple[list[str], bool]:
    """Lines saying what got better or worse than the baseline; True if anything regressed
    (an accuracy lower, or more silent errors, per dataset)."""
    lines: list[str] = []
    regressed = False
    current = report.to_json()["datasets"]
    for name, data in current.items():
        base = baseline.get("datasets", {}).get(name)
        if base is None:
            lines.append(f"{name}: new (no baseline)")
            continue
        now, then = data["totals"], base["totals"]
        moved, dropped = disclosure_score.compare(name, now, then)
        lines.extend(moved)
        regressed = regressed or dropped
        for key in (*REGRESSION_KEYS, "silent_errors", "hard_fail"):
            a, b = now.get(key), then.get(key)
            if a == b or a is None or b is None:
                continue
            worse = a > b if key in ("silent_errors", "hard_fail") else a < b
            regressed = regressed or (worse and key != "hard_fail")
            lines.append(f"{name}: {key} {b} -> {a} ({'worse' if worse else 'better'})")
    if not lines:
        lines.append("no change against the baseline")
    return lines, regressed
