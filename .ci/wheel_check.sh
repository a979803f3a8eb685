#!/usr/bin/env bash
# The package as a user installs it: build the wheel, install it in a fresh venv outside the
# checkout, run `extractor extract` on a bundled sample from there, then install the evals
# wheel (packages/extractor-evals) beside it and run a short test subset against the installed
# packages (tests and sample data copied beside them, the checkout off the import path).
# Prints what it checked; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PY=${PY:-python3}
# built from a copy of the tracked files: a build/ folder left in the checkout by an earlier
# build would put files of that time into the wheel
mkdir "$work/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
.venv/bin/python -m pip wheel --no-deps -q -w "$work/dist" "$work/src" 2>&1 | grep -v '^WARNING' || true
wheel=$(ls "$work"/dist/extractor-*.whl)
echo "wheel: $(basename "$wheel"), $(unzip -l "$wheel" | tail -1 | awk '{print $2}') files;" \
  "definitions: $(unzip -l "$wheel" | grep -c 'extractor/schemas/.*\.toml')," \
  "prompts: $(unzip -l "$wheel" | grep -c 'extractor/prompts/.*\.md')"
# the evaluation is its own distribution: the core wheel carries none of it
if unzip -l "$wheel" | grep -E 'extractor_evals/|extractor/evals/'; then
  echo "the core wheel contains the evals" >&2
  exit 1
fi
.venv/bin/python -m pip wheel --no-deps -q -w "$work/dist" "$work/src/packages/extractor-evals" 2>&1 \
  | grep -v '^WARNING' || true
evals_wheel=$(ls "$work"/dist/extractor_evals-*.whl)
catalogues=$(unzip -l "$evals_wheel" | grep -c 'extractor_evals/data/.*\.json' || true)
echo "evals wheel: $(basename "$evals_wheel"), $(unzip -l "$evals_wheel" | tail -1 | awk '{print $2}') files;" \
  "catalogues: $catalogues"
test "$catalogues" -ge 2
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q -c constraints.txt "$wheel" pytest hypothesis 2>&1 \
  | grep -v '^WARNING' || true
cd "$work"
"$work/venv/bin/python" -c "import extractor, pathlib; p = pathlib.Path(extractor.__file__).parent; \
assert not str(p).startswith('$root'), p; print('installed at', p)"
"$work/venv/bin/extractor" extract "$root/evals/datasets/seeds/000_078c4e39dcefb175.txt" -o out
test -s out/000_078c4e39dcefb175.json && test -s out/000_078c4e39dcefb175.xlsx
# without the evals, `extractor eval` says what to install and exits 2
rc=0; "$work/venv/bin/extractor" eval "$root/evals/datasets/seeds" 2>eval.err || rc=$?
test "$rc" = 2 && grep -q 'pip install extractor-evals' eval.err
echo "without extractor-evals: extractor eval exits $rc: $(head -1 eval.err)"
"$work/venv/bin/python" -m pip install -q --no-deps "$evals_wheel" 2>&1 | grep -v '^WARNING' || true
"$work/venv/bin/extractor" eval --help | head -1
mkdir -p check/evals
cp -r "$root/tests" check/
cp -r "$root/evals/datasets" check/evals/
cd check
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_package.py tests/test_seeds.py \
  tests/test_budget.py tests/test_document_facts.py tests/test_csv.py
