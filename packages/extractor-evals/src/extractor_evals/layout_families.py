"""Layout families for generated 决算 text reports (issue 12): each family is a parameter
space of ``TextStyle`` (and, for empty tables, of how an empty table is printed), drawn from
a seed, independent of the project's own default style.

Families: ``cells`` (one cell per line for every table), ``artefacts`` (bookmark and
markdown artefacts on title lines, the 公开NN表 label before, after, padded far right or in the
title), ``split`` (every table over pages, headers repeated or not), ``two_sided`` (01/04 with
行次 on both sides, sides named or not, side by side or stacked), ``empty`` (empty tables with a
0.00 合计 row, a blank one or no row at all, with or without a 本表无数据 note) and
``title_after`` (the heading lines printed after the table); ``mixed`` draws all of them at
once. Seeds from ``HELD_OUT`` on are
kept for the held-out evaluation that no tuning looks at.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from extractor_evals.generate import generate_final_report

if TYPE_CHECKING:
    from extractor_evals.render_pdf import PdfStyle
from extractor_evals.render_text import TextStyle, render_report

FAMILIES = ("cells", "artefacts", "split", "two_sided", "empty", "title_after", "mixed")
PDF_FAMILIES = ("landscape", "partial_rules", "header_wrap")
HELD_OUT = 1000  # seeds >= this are the held-out range


def _base_style(rng: random.Random) -> TextStyle:
    """What every family varies besides its own parameters."""
    return TextStyle(
        layout=rng.choice(["tab_rows", "cell_per_line"]),
        thousands=rng.random() < 0.7,
        spaced_digits=rng.random() < 0.15,
    )


def _empty_variant(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Empty tables printed in another way: the 合计 row kept (0.00 or blank), dropped, and
    the 本表无数据 note kept or dropped."""
    out = copy.deepcopy(doc)
    for t in out["tables"]:
        rows = t.get("rows") or []
        empty = rows and all(v in (None, "0.00") for r in rows for v in r.get("values") or [])
        if not empty or t.get("sections"):
            continue
        shape = rng.choice(["zeros", "blank", "no_row"])
        if shape == "no_row":
            t["rows"] = []
        else:
            for r in rows:
                r["values"] = ["0.00" if shape == "zeros" else None for _ in r["values"]]
        notes = [n for n in t.get("notes") or [] if "无数据" not in n and "没有" not in n]
        if rng.random() < 0.6:
            notes.append(rng.choice(["本表无数据。", "说明：本单位本年度无此项收支，本表无数据。"]))
        t["notes"] = notes
    return out


def _mixed(style: TextStyle, rng: random.Random) -> TextStyle:
    """Every family's parameters drawn at once."""
    return replace(
        style,
        side_heads=rng.choice(["plain", "named"]),
        stacked_sides=rng.random() < 0.3,
        title_artefact=rng.choice(["", "bookmark", "bookmark_line", "bold", "p"]),
        label_line=rng.choice(["after_title", "before_title", "padded_right", "in_title"]),
        split_pages=rng.random() < 0.5,
        split_min_rows=rng.randint(2, 8),
        repeat=rng.choice(["all", "title", "none"]),
        title_after=rng.random() < 0.2,
    )


def _family_style(family: str, rng: random.Random) -> TextStyle:
    """The TextStyle of one report of ``family``, drawn from ``rng``."""
    style = _base_style(rng)
    if family == "mixed":
        style = _mixed(style, rng)
    elif family == "cells":
        style = replace(style, layout="cell_per_line", side_heads=rng.choice(["plain", "named"]))
    elif family == "artefacts":
        style = replace(
            style,
            title_artefact=rng.choice(["bookmark", "bookmark_line", "bold", "p"]),
            label_line=rng.choice(["after_title", "before_title", "padded_right", "in_title"]),
        )
    elif family == "split":
        style = replace(
            style,
            split_pages=True,
            split_min_rows=rng.randint(2, 3),  # nearly every table
            repeat=rng.choice(["all", "title", "none"]),
        )
    elif family == "two_sided":
        style = replace(
            style,
            stacked_sides=rng.random() < 0.5,
            side_heads=rng.choice(["plain", "named"]),
        )
    elif family == "title_after":
        style = replace(style, title_after=True)
    elif family != "empty":
        raise ValueError(f"unknown layout family {family!r}; one of {', '.join(FAMILIES)}")
    return style


def draw(family: str, seed: int) -> tuple[dict[str, Any], TextStyle]:
    """(truth document, style) of one report of ``family``, deterministic from ``seed``."""
    rng = random.Random(f"layout:{family}:{seed}")
    style = _family_style(family, rng)
    empty = family == "empty" or (family == "mixed" and rng.random() < 0.3)
    doc = generate_final_report(seed, empty_tables=True if empty else None)
    if empty:
        doc = _empty_variant(doc, rng)
    return doc, style


# the scopes a 预算 is published under: 部门预算, 单位预算, or titles with neither word
SCOPES = ("部门", "单位", "")
# the families a given truth is drawn in (``empty`` changes the numbers: not for a given truth)
TRUTH_FAMILIES = tuple(f for f in FAMILIES if f != "empty")


def retitled(doc: dict[str, Any], scope: str) -> dict[str, Any]:
    """A 预算 truth published under another scope: 部门 in its titles becomes ``scope``."""
    out = copy.deepcopy(doc)
    for t in out["tables"]:
        if "预算" in str(t.get("title") or ""):
            t["title"] = str(t["title"]).replace("部门", scope)
    return out


def truth_variant(
    doc: dict[str, Any], seed: int, family: str | None = None
) -> tuple[str, dict[str, Any]]:
    """(report text, truth) of a given truth (a real report's, hand-checked) in one text
    layout family (``family``, else the families in turn by seed) and, for a 预算, under a
    scope drawn from the seed (部门, 单位 or neither): layouts and titles the truth's own
    report never printed, over its real numbers."""
    rng = random.Random(f"variant:{family}:{seed}")
    fam = family or TRUTH_FAMILIES[seed % len(TRUTH_FAMILIES)]
    style = _family_style(fam, rng)
    budget = any("预算" in str(t.get("title") or "") for t in doc["tables"])
    scope = rng.choice(SCOPES) if budget else "部门"
    truth = retitled(doc, scope) if budget else copy.deepcopy(doc)
    cover = f"{scope or '部门'}预算\n\n" if budget else ""
    return cover + render_report(truth, style), truth


def _pdf_grid(rng: random.Random) -> TextStyle:
    """The table grid a PDF draws: number format, two-sided headings and sides (drawn)."""
    return TextStyle(
        thousands=rng.random() < 0.7,
        side_heads=rng.choice(["plain", "named"]),
        stacked_sides=rng.random() < 0.5,
    )


def pdf_layout_case(seed: int) -> tuple[bytes, dict[str, Any], str]:
    """(PDF, truth, style name) of a generated report drawn as a text-layer PDF in one of
    the renderer's styles (in turn), its two-sided tables with 行次 on both sides, the side
    headings named or not and the sides side by side or stacked (drawn from the seed)."""
    from extractor_evals.render_pdf import STYLES, render_pdf

    rng = random.Random(f"layout-pdf:{seed}")
    base = list(STYLES.values())[seed % len(STYLES)]
    doc = generate_final_report(seed)
    return render_pdf(doc, replace(base, grid=_pdf_grid(rng)), seed=seed), doc, base.name


def draw_pdf(family: str, seed: int) -> PdfStyle:
    """The PdfStyle of one report of PDF layout ``family`` (PDF_FAMILIES), from ``seed``:
    ``landscape`` (landscape pages, every grid, ruled or not, any size and column widths),
    ``partial_rules`` (rules on some lines only: row borders, the header box and the total
    lines, every other row, the outer frame) and ``header_wrap`` (narrow columns whose header
    texts are set on 2-3 lines, wrapped evenly or greedily, at points the column widths
    move)."""
    from extractor_evals.render_pdf import RULES, PdfStyle

    if family not in PDF_FAMILIES:
        raise ValueError(f"unknown PDF layout family {family!r}; one of {', '.join(PDF_FAMILIES)}")
    rng = random.Random(f"layout-pdf:{family}:{seed}")
    ruled = rng.random() < 0.5
    style = PdfStyle(
        name=f"pdf_{family}",
        landscape=rng.random() < 0.5,
        ruled=ruled,
        font_size=round(rng.uniform(7.5, 10.5), 1),
        wrap_headers=rng.random() < 0.5,
        col_width_jitter=round(rng.uniform(0.0, 0.3), 2),
        grid=_pdf_grid(rng),
    )
    if family == "landscape":
        return replace(style, landscape=True)
    if family == "partial_rules":
        return replace(style, rules=rng.choice([r for r in RULES if r not in ("all", "none")]))
    return replace(
        style,
        wrap_headers=True,
        header_lines=rng.choice([2, 3]),
        header_balance=rng.random() < 0.5,
        font_size=round(rng.uniform(8.5, 11.0), 1),
    )


def pdf_family_case(family: str, seed: int) -> tuple[bytes, dict[str, Any], str]:
    """(PDF, truth, style name) of one generated 决算 report of PDF layout ``family``."""
    from extractor_evals.render_pdf import render_pdf

    style = draw_pdf(family, seed)
    doc = generate_final_report(seed)
    return render_pdf(doc, style, seed=seed), doc, style.name


def layout_case(family: str, seed: int) -> tuple[str, dict[str, Any]]:
    """(report text, truth) of one generated report of ``family``."""
    doc, style = draw(family, seed)
    return render_report(doc, style), doc
