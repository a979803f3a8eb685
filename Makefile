# Two commands on a fresh machine: `make demo` (main job on a bundled sample) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint eval eval-large eval-digest baseline bench bench-pdf bench-llm bench-batch fuzz fixtures clean

EVAL_SETS := evals/datasets/seeds evals/datasets/seeds_budget evals/datasets/real_pdfs generated:12 generated-budget:6 generated-pdf:4 generated-budget-pdf:2 generated-disclosure:14

$(STAMP): pyproject.toml packages/extractor-evals/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]' -e packages/extractor-evals
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/extractor extract evals/datasets/seeds/000_078c4e39dcefb175.txt -o out/demo -v

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check extractor packages/extractor-evals/src tests evals benchmarks
	$(BIN)/mypy

# accuracy on the repository's datasets; fails when it drops below the committed baseline
eval: $(STAMP)
	$(BIN)/extractor eval $(EVAL_SETS) --compare evals/baselines/ci.json

# the large sets: 50 决算 and 50 预算 text reports with injections, 20 PDFs in every renderer style, 4 scans;
# the text layout families (evals/layout_families.py) on the tuning seeds 0-97 and, as its own
# dataset, on held-out seeds 1000-1139 that no tuning looked at; the PDF layout families
# (landscape, partial_rules, header_wrap) on tuning seeds 0-19 and held-out seeds 1000-1019
PDF_FAMILIES := landscape partial_rules header_wrap
# a real 预算's truth, drawn in the text layout families and under 部门/单位/no scope
SH_BUDGET := evals/datasets/seeds/truth/sh_putuo_wanli-jiedao_2025_dept-budget.json
eval-large: $(STAMP)
	$(BIN)/extractor eval generated:50 generated-budget:50 generated-pdf:20 generated-budget-pdf:8 generated-scan:4:100 generated-budget-scan:2 \
		generated-layout:98 generated-layout-pdf:40 \
		$(foreach f,$(PDF_FAMILIES),generated-layout-pdf-$(f):20) \
		generated-layout:140:1000 \
		generated-layout-pdf:40:1000 \
		$(foreach f,$(PDF_FAMILIES),generated-layout-pdf-$(f):20:1000) \
		generated-budget-pdf:8:20 \
		variants:$(SH_BUDGET):96 variants:$(SH_BUDGET):48:1000

# the generated documents byte for byte (sha256 of inputs, truths, labels) against the digest
# written before the evals became their own distribution: a refactoring must change none
eval-digest: $(STAMP)
	$(BIN)/python -m extractor_evals.digest evals/baselines/generated_digest.json

baseline: $(STAMP)
	$(BIN)/extractor eval $(EVAL_SETS) --write-baseline evals/baselines/ci.json

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_text.py

bench-pdf: $(STAMP)
	$(BIN)/python benchmarks/bench_pdf.py

# LLM calls and tokens per document, auto vs always, against the tests' fake server (no network)
bench-llm: $(STAMP)
	$(BIN)/python benchmarks/bench_llm.py

# documents/s of a batch of 200 generated reports: 1 and 2 worker processes, Ray; peak RSS
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py

# a seeded corpus of hostile files (issue 14) through `batch`: the outcome table by class
FUZZ_N ?= 500
fuzz: $(STAMP)
	rm -rf out/fuzz
	$(BIN)/python -m extractor_evals.fuzz out/fuzz --n $(FUZZ_N) --scale large

fixtures: $(STAMP)
	$(BIN)/python -m extractor_evals.build_fixtures evals/generated/fixtures

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
