"""Dataset specs resolve through the registry of builders by name (harness.DATASETS and
FAMILY_DATASETS), a layout family named after its builder's name."""

from __future__ import annotations

from extractor_evals.harness import DATASETS, FAMILY_DATASETS, _builder, resolve_datasets
from extractor_evals.layout_families import FAMILIES, PDF_FAMILIES


def test_every_registered_name_resolves_to_its_builder() -> None:
    for name, build in DATASETS.items():
        assert _builder(name) is build
    for name in FAMILY_DATASETS:
        assert _builder(name) is not None
    assert _builder("generated-nope") is None and _builder("evals/datasets/seeds") is None


def test_specs_build_their_cases() -> None:
    [(name, cases)] = resolve_datasets(["generated-budget:2:5"])
    assert name == "generated-budget:2:5"
    assert [c.name for c in cases] == ["budget0005-clean", "budget0006-source.total"]
    [(_, scans)] = resolve_datasets(["generated-budget-scan:1"])
    assert scans[0].name == "budget0000-scan-ruled_portrait" and scans[0].data[:5] == b"%PDF-"


def test_a_family_is_the_rest_of_the_name() -> None:
    text = resolve_datasets([f"generated-layout-{FAMILIES[1]}:2:1000"])[0][1]
    assert [c.name for c in text] == [f"layout1000-{FAMILIES[1]}", f"layout1001-{FAMILIES[1]}"]
    turn = resolve_datasets([f"generated-layout:{len(FAMILIES)}"])[0][1]
    assert [c.name.split("-", 1)[1] for c in turn] == list(FAMILIES)
    [(_, pdfs)] = resolve_datasets([f"generated-layout-pdf-{PDF_FAMILIES[2]}:1"])
    assert pdfs[0].name == f"layout0000-pdf_pdf_{PDF_FAMILIES[2]}"
