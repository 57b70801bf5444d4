# Two commands for learners and contributors:  make lab  and  make test.
# Both create .venv/ (Python 3.11 + pip, no conda) and install the project into it first.

# The first of python3.11, python3 on PATH that runs and has venv (a pyenv shim under /root does
# not run for other users).
PYTHON ?= $(shell for p in python3.11 python3; do $$p -c 'import venv, ensurepip' 2>/dev/null \
                  && command -v $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Jupyter refuses to run as root unless told; CI and containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# quick = a few training steps (tests); full = the real run that the stored outputs show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup chromium lab app test tutorial clean

setup: $(STAMP) chromium  ## .venv with gan_utils and its dev tools, and Chromium (quick when done)

chromium:  ## the system Chromium for the browser tests: installed if missing and allowed, else a note
	@bash tools/ensure_chromium.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || \
	    $(or $(PYTHON),$(error no python3.11 or python3 with venv found on PATH)) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name gan-tutorial \
	    --display-name "Python (ACGAN vs InfoGAN)" > /dev/null
	@touch $(STAMP)

lab: setup  ## start JupyterLab on notebooks/
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --port $(PORT) $(ROOT_FLAG) $(LAB_ARGS)

app: setup  ## serve the latent explorer (notebooks/04_explore.ipynb) as a page, sliders only
	$(BIN)/voila notebooks/04_explore.ipynb --no-browser --port $(PORT) --Voila.ip=127.0.0.1

test: setup  ## unit tests, then every notebook under nbval in quick mode
	GAN_TUTORIAL_MODE=quick $(BIN)/python -m pytest tests notebooks \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	    --nbval-cell-timeout 600

tutorial: setup  ## re-run every notebook in full mode, storing outputs in place
	GAN_TUTORIAL_MODE=full $(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache
