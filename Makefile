# The book's two jobs, each doing its own set-up on a fresh machine:
#   make book   build the website into _build/html from the stored outputs
#   make test   run every test (this is what .ci/run calls)
#   make check  the contributors' fast tier: lint, the extractor's check and
#               the unit tests, without notebooks or browser (2-3 minutes)
# More: make venv (the environment only), make lab (JupyterLab on the book),
# make d2lsave, make execute (re-run every notebook in place), make lint,
# make lock (re-pin the locks), make publish-check, make clean.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# requirements-gpu.txt for a CUDA GPU: make REQUIREMENTS=requirements-gpu.txt
REQUIREMENTS ?= requirements.txt
# The exact versions to install, with their hashes, made by `make lock`
# (uv pip compile, for Python 3.11) from pyproject.toml: requirements.lock
# for requirements.txt, requirements-gpu.lock for requirements-gpu.txt.
# `make LOCK= ...` installs the unpinned sets instead (for Python 3.8-3.10,
# which the 3.11 locks do not fit).
LOCK ?= $(REQUIREMENTS:.txt=.lock)
# Extra arguments for `make lab`, e.g. LAB_ARGS="--no-browser --port=8890"
LAB_ARGS ?=
# MXNet runs CPU operators on one thread unless told otherwise.
export OMP_NUM_THREADS ?= $(shell nproc)

.PHONY: book test check lint venv lab lock publish-check d2lsave execute clean

$(STAMP): $(REQUIREMENTS) $(LOCK) pyproject.toml
	@$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(if $(LOCK),$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK),$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS))
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The environment only (what the other targets install first).
venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build -W -n --keep-going . \
	  || { cat _build/html/reports/*.log 2>/dev/null; exit 1; }

# One pytest worker per core, each running MXNet on one thread, each
# notebook (nbval) or test file in one worker, the longest notebooks first
# (tests/conftest.py): two one-thread processes train these small models
# faster together than one process with two threads (README, "Speed").
test: $(STAMP) lint
	$(BIN)/python tools/build_d2lsave.py --check
	$(MAKE) book
	@sh tools/ensure_browser.sh
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n auto --dist loadfile \
	  --durations=12

# The fast tier: the generated module is up to date and the unit tests pass
# (tests/ only: no notebook re-execution, no website, no browser).
check: $(STAMP) lint
	$(BIN)/python tools/build_d2lsave.py --check
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n auto --dist loadfile tests \
	  --ignore=tests/test_website.py --ignore=tests/test_widget.py \
	  --ignore=tests/test_pages.py --durations=5

# ruff: lint (d2lsave, tools, tests, the chapters' code cells; rules in
# pyproject.toml) and the layout of the hand-written code.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# JupyterLab on the book (open chapters/*.ipynb), with the kernel `python3`
# registered to run .venv's Python (JUPYTER_PATH puts that kernelspec before
# any of the user's own `python3`), and .venv/bin first on the PATH.
# Jupyter refuses root unless told: --allow-root when run as root.
lab: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3
	PATH="$(abspath $(BIN)):$$PATH" \
	JUPYTER_PATH="$(abspath $(VENV))/share/jupyter" \
	  $(BIN)/jupyter-lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Re-pin the locks after editing the dependencies in pyproject.toml: the
# CPU and GPU sets (with hashes) and Binder's reader set. Then run
# `make test` and commit the locks. UPGRADE=--upgrade moves every pin to
# the newest release; without it uv keeps the pins that still fit.
LOCK_FLAGS = --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 $(UPGRADE)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra cpu --extra notebook \
	  --extra docs --extra test $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra gpu --extra notebook \
	  --extra docs --extra test $(LOCK_FLAGS) -o requirements-gpu.lock
	$(BIN)/uv pip compile pyproject.toml --extra cpu --extra notebook \
	  $(LOCK_FLAGS) -o binder/requirements.txt

# Refuse to publish with the placeholder repository URL (the Pages workflow
# runs this before it builds the site).
publish-check: $(STAMP)
	$(BIN)/python tools/check_publish.py

d2lsave: $(STAMP)
	$(BIN)/python tools/build_d2lsave.py

# Re-execute every notebook in book order (this refreshes the stored
# outputs), regenerating d2lsave after each so later chapters import it,
# and record the machine in each notebook's metadata (build-info shows it).
execute: $(STAMP)
	for nb in $$($(BIN)/python tools/toc_order.py); do \
	  $(BIN)/python tools/build_d2lsave.py && \
	  (cd chapters && ../$(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --ExecutePreprocessor.timeout=-1 ../$$nb) && \
	  $(BIN)/python tools/stamp_machine.py $$nb || exit 1; \
	done
	$(BIN)/python tools/build_d2lsave.py

clean:
	rm -rf _build
