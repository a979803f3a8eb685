"""One exception tree, and the one list of the codes the package emits.

Data problems are results (``ErrorInfo`` in the document result); exceptions are for misuse and
infrastructure, each with a stable dotted ``code``. ``Code`` names every code with the stage
that emits it, its category and whether a document result may carry it; emitters name a member
(``Code.INPUT_CORRUPT``), never a string, so an unregistered code cannot be written.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The part of the package that emits a code."""

    CONFIG = "config"  # loading the configuration, definitions, engines and extras
    INGEST = "ingest"  # reading the file into pages
    OCR = "ocr"
    LAYOUT = "layout"  # table regions, the 目录
    IDENTIFY = "identify"  # which report table a region is
    EXTRACT = "extract"  # grid -> typed table, shapes, document facts
    REPAIR = "repair"
    LLM = "llm"
    VERIFY = "verify"  # identities, prose, annexes, findings
    PIPELINE = "pipeline"  # one document end to end
    BATCH = "batch"  # inputs, workers, outputs of a batch


class Category(StrEnum):
    """What kind of problem a code is."""

    INPUT = "input"  # the document cannot be read or is not one the package reads
    EXTRACTION = "extraction"  # read, but a table or a value could not be extracted
    LIMIT = "limit"  # a configured bound was reached (size, time, memory, tokens)
    CONFIG = "config"  # misuse: the configuration, definitions, a missing model or extra
    INFRASTRUCTURE = "infrastructure"  # a worker, the output folder, the LLM endpoint
    INTERNAL = "internal"  # a bug: an exception the code did not expect
    CHECK = "check"  # not an error: the rule of a verification check (``Check.rule``)


class Code(StrEnum):
    """Every dotted code: ``(value, stage, category, in_result)``; ``in_result``: a document
    result's ``errors`` may carry it (the others are raised, listed in a batch summary, or are
    check rules)."""

    stage: Stage
    category: Category
    in_result: bool

    def __new__(cls, value: str, stage: Stage, category: Category, in_result: bool) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.stage = stage
        member.category = category
        member.in_result = in_result
        return member

    EXTRACTOR_ERROR = "extractor.error", Stage.PIPELINE, Category.INTERNAL, False
    CONFIG_INVALID = "config.invalid", Stage.CONFIG, Category.CONFIG, False
    CONFIG_DEFINITION = "config.definition", Stage.CONFIG, Category.CONFIG, False
    CONFIG_MISSING_EXTRA = "config.missing_extra", Stage.CONFIG, Category.CONFIG, False
    CONFIG_OCR_MISSING = "config.ocr_missing", Stage.OCR, Category.CONFIG, False
    CONFIG_OCR_MODELS = "config.ocr_models", Stage.OCR, Category.CONFIG, False

    INPUT_INVALID = "input.invalid", Stage.INGEST, Category.INPUT, False
    INPUT_BINARY = "input.binary", Stage.INGEST, Category.INPUT, True
    INPUT_CORRUPT = "input.corrupt", Stage.INGEST, Category.INPUT, True
    INPUT_EMPTY = "input.empty", Stage.INGEST, Category.INPUT, True
    INPUT_ENCODING = "input.encoding", Stage.INGEST, Category.INPUT, True
    INPUT_ENCRYPTED = "input.encrypted", Stage.INGEST, Category.INPUT, True
    INPUT_PAGE_UNREADABLE = "input.page_unreadable", Stage.INGEST, Category.INPUT, True
    INPUT_SPECIAL = "input.special", Stage.INGEST, Category.INPUT, True
    INPUT_TOO_LARGE = "input.too_large", Stage.INGEST, Category.LIMIT, True
    INPUT_TRUNCATED = "input.truncated", Stage.INGEST, Category.INPUT, True
    INPUT_UNREADABLE = "input.unreadable", Stage.INGEST, Category.INPUT, True
    INPUT_UNSUPPORTED = "input.unsupported", Stage.INGEST, Category.INPUT, True
    INPUT_NOT_FOUND = "input.not_found", Stage.BATCH, Category.INPUT, False
    INPUT_SYMLINK_LOOP = "input.symlink_loop", Stage.BATCH, Category.INPUT, False
    INPUT_DANGLING_LINK = "input.dangling_link", Stage.BATCH, Category.INPUT, False
    OCR_FAILED = "ocr.failed", Stage.OCR, Category.INPUT, True

    EXTRACT_NO_TABLES = "extract.no_tables", Stage.IDENTIFY, Category.EXTRACTION, True
    EXTRACT_LAYOUT_UNMAPPED = "extract.layout_unmapped", Stage.EXTRACT, Category.EXTRACTION, True
    EXTRACT_TABLE_MISSING = "extract.table_missing", Stage.EXTRACT, Category.EXTRACTION, True
    EXTRACT_UNREADABLE_VALUE = (
        "extract.unreadable_value",
        Stage.EXTRACT,
        Category.EXTRACTION,
        True,
    )
    VERIFY_EXTRACTION_ERROR = "verify.extraction_error", Stage.VERIFY, Category.EXTRACTION, True

    LLM_BUDGET = "llm.budget", Stage.LLM, Category.LIMIT, True
    LLM_DEADLINE = "llm.deadline", Stage.LLM, Category.LIMIT, True
    LLM_REJECTED = "llm.rejected", Stage.LLM, Category.INFRASTRUCTURE, True
    LLM_TRANSPORT = "llm.transport", Stage.LLM, Category.INFRASTRUCTURE, True
    LLM_UNRESOLVED = "llm.unresolved", Stage.LLM, Category.EXTRACTION, True
    LLM_UNSUPPORTED_LAYOUT = "llm.unsupported_layout", Stage.LLM, Category.EXTRACTION, True

    BATCH_TIMEOUT = "batch.timeout", Stage.BATCH, Category.LIMIT, True
    BATCH_MEMORY = "batch.memory", Stage.BATCH, Category.LIMIT, True
    BATCH_CRASHED = "batch.crashed", Stage.BATCH, Category.INFRASTRUCTURE, True
    BATCH_EXCEPTION = "batch.exception", Stage.BATCH, Category.INTERNAL, True
    BATCH_BUSY = "batch.busy", Stage.BATCH, Category.CONFIG, False
    BATCH_OUTPUT = "batch.output", Stage.BATCH, Category.INFRASTRUCTURE, False
    BATCH_WORKER_START = "batch.worker_start", Stage.BATCH, Category.CONFIG, False

    # barrier.py: an element whose processing raised, by the stage guarding it
    INTERNAL_REGIONS = "internal.regions", Stage.LAYOUT, Category.INTERNAL, True
    INTERNAL_TOC = "internal.toc", Stage.LAYOUT, Category.INTERNAL, True
    INTERNAL_IDENTIFY = "internal.identify", Stage.IDENTIFY, Category.INTERNAL, True
    INTERNAL_MAP = "internal.map", Stage.EXTRACT, Category.INTERNAL, True
    INTERNAL_STRUCTURE = "internal.structure", Stage.EXTRACT, Category.INTERNAL, True
    INTERNAL_FACTS = "internal.facts", Stage.EXTRACT, Category.INTERNAL, True
    INTERNAL_REFINE = "internal.refine", Stage.REPAIR, Category.INTERNAL, True
    INTERNAL_REPAIR = "internal.repair", Stage.REPAIR, Category.INTERNAL, True
    INTERNAL_LLM = "internal.llm", Stage.LLM, Category.INTERNAL, True
    INTERNAL_VERIFY = "internal.verify", Stage.VERIFY, Category.INTERNAL, True
    INTERNAL_NARRATIVE = "internal.narrative", Stage.VERIFY, Category.INTERNAL, True
    INTERNAL_ANNEX = "internal.annex", Stage.VERIFY, Category.INTERNAL, True
    INTERNAL_FINDINGS = "internal.findings", Stage.VERIFY, Category.INTERNAL, True
    INTERNAL_PIPELINE = "internal.pipeline", Stage.PIPELINE, Category.INTERNAL, True

    # the rules of the checks (Check.rule), by identity family
    VERIFY_ROW_SUM = "verify.row_sum", Stage.VERIFY, Category.CHECK, False
    VERIFY_TREE_SUM = "verify.tree_sum", Stage.VERIFY, Category.CHECK, False
    VERIFY_TOTAL = "verify.total", Stage.VERIFY, Category.CHECK, False
    VERIFY_CROSS_TABLE = "verify.cross_table", Stage.VERIFY, Category.CHECK, False
    VERIFY_DIFFERENCE = "verify.difference", Stage.VERIFY, Category.CHECK, False
    VERIFY_NARRATIVE = "verify.narrative", Stage.VERIFY, Category.CHECK, False
    VERIFY_BUDGET = "verify.budget", Stage.VERIFY, Category.CHECK, False
    VERIFY_GENERIC_SUM = "verify.generic_sum", Stage.VERIFY, Category.CHECK, False
    VERIFY_ANNEX_SCORE_TOTAL = "verify.annex_score_total", Stage.VERIFY, Category.CHECK, False
    VERIFY_ANNEX_EXECUTION_RATE = (
        "verify.annex_execution_rate",
        Stage.VERIFY,
        Category.CHECK,
        False,
    )
    VERIFY_ANNEX_VS_BASE_DATA = "verify.annex_vs_base_data", Stage.VERIFY, Category.CHECK, False


_BY_VALUE: dict[str, Code] = {c.value: c for c in Code}


def code_of(value: str) -> Code:
    """The registered code spelled ``value``; ``KeyError`` if there is none."""
    return _BY_VALUE[value]


def internal_code(stage: str) -> Code:
    """``internal.<stage>``: the code of an element that raised under ``barrier.guard(stage)``;
    a stage without one is a programming error, found when the guard is made."""
    try:
        return code_of(f"internal.{stage}")
    except KeyError:
        raise ValueError(f"no internal.{stage} in extractor.errors.Code") from None


def expected_result_codes() -> frozenset[Code]:
    """The codes a document result may carry that are not a bug (the fuzzers' known codes)."""
    return frozenset(c for c in Code if c.in_result and c.category is not Category.INTERNAL)


def code_table() -> str:
    """The codes as a Markdown table (README.md's "Error codes" holds this text)."""
    head = "| code | stage | category | in a result |\n|---|---|---|---|\n"
    return head + "".join(
        f"| `{c}` | {c.stage} | {c.category} | {'yes' if c.in_result else 'no'} |\n" for c in Code
    )


class ExtractorError(Exception):
    """Base of every error this package raises."""

    code: Code = Code.EXTRACTOR_ERROR

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(ExtractorError):
    """Invalid configuration or report definitions."""

    code = Code.CONFIG_INVALID


class InputError(ExtractorError):
    """A document cannot be read (empty, binary, encrypted, too large...)."""

    code = Code.INPUT_INVALID


class DefinitionError(ConfigError):
    """A report definition file does not validate."""

    code = Code.CONFIG_DEFINITION


class OcrError(ExtractorError):
    """The OCR engine failed on one page image (an image it cannot resize, a runtime error):
    an error of that page, the other pages go on."""

    code = Code.OCR_FAILED
