# Two commands for learners and contributors:  make lab  and  make test.
# Both create .venv/ (Python 3.11 to 3.13 + pip, no conda) and install the project into it first,
# at the versions in constraints.txt. Without make (Windows, say): the README's pip lines.

# The first of python3.11, python3 on PATH that runs and has venv (a pyenv shim under /root does
# not run for other users).
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
                  $$p -c 'import venv, ensurepip' 2>/dev/null && command -v $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/$(if $(filter Windows_NT,$(OS)),Scripts,bin)
PORT   ?= 8888
PIP    := $(BIN)/python -m pip install --quiet -c constraints.txt
# Jupyter refuses to run as root unless told; CI and containers run as root.
ROOT_FLAG := $(if $(filter Windows_NT,$(OS)),,$(if $(filter 0,$(shell id -u)),--allow-root,))
# Two test processes (pytest-xdist) on two cores; each file (each notebook) stays on one of them.
PARALLEL := -n 2 --dist loadfile
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup lab-setup chromium lab app test test-fast test-install tutorial clean

$(BIN)/python:
	@$(or $(PYTHON),$(error no python3.11 to 3.13 with venv found on PATH)) tools/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What the notebooks need and nothing else: no test tools, no browser.
$(VENV)/.installed-lab: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[lab]'
	$(BIN)/python -m ipykernel install --user --name gan-tutorial \
	    --display-name "Python (ACGAN vs InfoGAN)" > /dev/null
	@touch $@

$(VENV)/.installed-app: $(VENV)/.installed-lab
	$(PIP) -e '.[lab,app]'
	@touch $@

# The contributor's install: the notebooks' packages plus the test stack.
$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name gan-tutorial \
	    --display-name "Python (ACGAN vs InfoGAN)" > /dev/null
	@touch $@ $(VENV)/.installed-lab $(VENV)/.installed-app

lab-setup: $(VENV)/.installed-lab  ## .venv with gan_utils and JupyterLab only

setup: $(VENV)/.installed-dev chromium  ## .venv with gan_utils, its test tools, and Chromium

chromium:  ## the system Chromium for the browser tests: installed if missing and allowed, else a note
	@bash tools/ensure_chromium.sh

lab: lab-setup  ## start JupyterLab on notebooks/
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --port $(PORT) $(ROOT_FLAG) $(LAB_ARGS)

app: $(VENV)/.installed-app  ## serve the latent explorer (notebooks/05_explore.ipynb) as a page, sliders only
	$(BIN)/voila notebooks/05_explore.ipynb --no-browser --port $(PORT) --Voila.ip=127.0.0.1

test: setup  ## the whole suite: unit tests, notebooks (nbval, quick runs), browser tests
	$(BIN)/python -m pytest $(PARALLEL)

test-fast: setup  ## the contributor's loop: everything but notebooks, browsers and long training
	$(BIN)/python -m pytest -m "not slow" $(PARALLEL)

test-install:  ## the README's pip lines in a fresh venv in a temporary folder (downloads TensorFlow)
	$(PYTHON) tools/check_install.py

tutorial: setup  ## re-run every notebook in full mode, storing outputs in place
	GAN_TUTORIAL_MODE=full $(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache
