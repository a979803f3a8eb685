"""Dataset specs resolve through the registry of builders by name (harness.DATASETS and
FAMILY_DATASETS), a layout family named after its builder's name; the catalogues are package
data read back into their declared types."""

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


def test_catalogues_come_back_in_their_declared_types() -> None:
    from extractor_evals import budget_catalog as cat
    from extractor_evals.catalog import Catalog

    assert all(isinstance(k, int) and isinstance(v, tuple) for k, v in cat.BUDGET_TOC.items())
    assert cat.BUDGET_TOC[1] == ("部门收支总表", "部门收支总表", "budget.summary")
    assert isinstance(cat.NOT_LISTED, set) and "209" in cat.NOT_LISTED
    assert all(isinstance(i, tuple) for items in cat.ECON_ITEMS.values() for i in items)
    econ = Catalog("final").get("econ", list[tuple[int, str, str, list[tuple[str, str]]]])
    assert econ[0][:2] == (1, "301") and isinstance(econ[0][3][0], tuple)


def test_every_catalogue_value_is_read_by_a_module() -> None:
    import json
    import re
    from importlib import resources

    root = resources.files("extractor_evals")
    modules = [p for p in root.iterdir() if p.name.endswith(".py")]
    source = "".join(p.read_text(encoding="utf-8") for p in modules)
    read = set(re.findall(r'\.get\(\s*"([a-z0-9_]+)"', source))
    for name in ("final", "budget"):
        keys = json.loads(root.joinpath("data", f"{name}.json").read_text(encoding="utf-8"))
        assert set(keys) <= read, set(keys) - read
