# The book's two jobs, each doing its own set-up on a fresh machine:
#   make book   build the website into _build/html from the stored outputs
#   make test   run every test (this is what .ci/run calls)
# More: make d2lsave, make execute (re-run every notebook in place), make clean.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# requirements-gpu.txt for a CUDA GPU: make REQUIREMENTS=requirements-gpu.txt
REQUIREMENTS ?= requirements.txt
# MXNet runs CPU operators on one thread unless told otherwise.
export OMP_NUM_THREADS ?= $(shell nproc)

.PHONY: book test d2lsave execute clean

$(STAMP): $(REQUIREMENTS) requirements-common.txt pyproject.toml
	@$(PYTHON) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build -W -n --keep-going . \
	  || { cat _build/html/reports/*.log 2>/dev/null; exit 1; }

test: $(STAMP)
	$(BIN)/python tools/build_d2lsave.py --check
	$(MAKE) book
	@sh tools/ensure_browser.sh
	$(BIN)/python -m pytest --durations=12

d2lsave: $(STAMP)
	$(BIN)/python tools/build_d2lsave.py

# Re-execute every notebook in book order (this refreshes the stored
# outputs), regenerating d2lsave after each so later chapters import it.
execute: $(STAMP)
	for nb in $$($(BIN)/python tools/toc_order.py); do \
	  $(BIN)/python tools/build_d2lsave.py && \
	  (cd chapters && ../$(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --ExecutePreprocessor.timeout=-1 ../$$nb) || exit 1; \
	done
	$(BIN)/python tools/build_d2lsave.py

clean:
	rm -rf _build
