# Two commands for learners and contributors:  make lab  and  make test.
# Both create .venv/ (Python 3.11 + pip, no conda) and install the project into it first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Jupyter refuses to run as root unless told; CI and containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# quick = a few training steps (tests); full = the real run that the stored outputs show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup lab app test unit nbval tutorial clean

setup: $(STAMP)  ## create .venv and install gan_utils with its dev tools (quick when done)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
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
