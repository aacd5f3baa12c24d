# convkit: every target that needs Python depends on the venv, so `make grade` and `make test`
# work on a fresh clone with nothing installed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUBMISSIONS ?= demo/course
OUT ?=
# make grade SCHEDULER=tcp://HOST:8786 grades on that Dask cluster (README) instead of JOBS here.
SCHEDULER ?=
# make check NOTEBOOK=path/to/mine.ipynb infers the assignment from the notebook's file name or
# folder; ASSIGNMENT=<id> says it explicitly (and, alone, checks the released notebook).
ASSIGNMENT ?=
NOTEBOOK ?= $(if $(ASSIGNMENT),assignments/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb,)
LAB_ARGS ?=
PYTEST_ARGS ?=
# The tests run on every core (pytest-xdist); tests sharing an expensive fixture stay on one
# worker (tests/conftest.py), the longest handed out first. One worker more than the cores: the
# worker holding the nbgrader run spends minutes waiting on kernels (its endless-loop cells wait
# out nbgrader's timeout), and the others use the cores meanwhile (measured on 2 cores: 14.0 min
# with 2 workers, 12.5 with 3, both green).
TEST_JOBS ?= $(shell expr $(JOBS) + 1)
XDIST := -n $(TEST_JOBS) --dist loadgroup --no-loadscope-reorder
# Grading isolates every submission with bubblewrap; without it (and without root to install it)
# the kit falls back to forked workers with resource limits (isolation "auto"), and says so.
ISOLATION ?=

.PHONY: install test test-fast grade check lab release collect bench clean sandbox-deps page-deps \
  similarity

install: $(STAMP)

# torch from PyTorch's CPU-only index (PyPI's Linux torch pulls gigabytes of CUDA libraries);
# where that index cannot be reached, pip's own configuration decides, and a note says so.
# TORCH_INDEX= (empty) skips the probe: pip's configured indexes alone (CI does).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -z "$(TORCH_INDEX)" ]; then idx=""; \
	elif $(PY) -c "import urllib.request as u; u.urlopen('$(TORCH_INDEX)/torch/', timeout=15)" \
	    >/dev/null 2>&1; then idx="--extra-index-url $(TORCH_INDEX)"; else idx=""; \
	  echo "note: $(TORCH_INDEX) is unreachable: torch comes from pip's configured indexes" \
	    "(on a plain Linux machine PyPI's torch is the CUDA build, gigabytes)" >&2; fi; \
	echo "$(PY) -m pip install --quiet --disable-pip-version-check $$idx -e '.[dev]'"; \
	$(PY) -m pip install --quiet --disable-pip-version-check $$idx -e '.[dev]'
	@touch $(STAMP)

# bubblewrap (Debian package) gives each grading worker its own namespaces.
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null; \
	  else echo "note: bubblewrap is not installed; grading falls back to --isolation process" >&2; fi; }

# Headless Chromium and a CJK font: the tests look at the pages a person reads (feedback, class
# report) as a browser draws them, Chinese terms included.
page-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null; \
	  else echo "note: chromium or a CJK font is missing; the page tests will skip" >&2; fi; }

test: install sandbox-deps page-deps
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# The edit-run loop: everything but notebook kernels, nbgrader and Dask (-m "not slow").
test-fast: install sandbox-deps page-deps
	$(PY) -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

# A course's settings live in its nbgrader_config.py (c.Convkit.jobs, .isolation, .device,
# .scheduler, .gradebook: autograder/core/settings.py); JOBS=, ISOLATION= or SCHEDULER= given to
# make override them.
grade: install sandbox-deps
	$(PY) -m autograder class $(SUBMISSIONS) \
	  $(if $(filter command line environment,$(origin JOBS)),--jobs $(JOBS),) \
	  $(if $(ISOLATION),--isolation $(ISOLATION),) \
	  $(if $(OUT),--out $(OUT),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

# make similarity [SUBMISSIONS=course] [ASSIGNMENT=id] [THRESHOLD=0.5]: similarity.html and
# similarity.csv (相似度) of the class, written beside grades.csv (README: Similarity report).
THRESHOLD ?=
similarity: install
	$(PY) -m autograder similarity $(SUBMISSIONS) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT),) \
	  $(if $(OUT),--out $(OUT),) $(if $(THRESHOLD),--threshold $(THRESHOLD),)

check: install
	$(PY) -m autograder check $(NOTEBOOK) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT),)

# The kit's own Jupyter (in .venv, where `from autograder import check` works), opened here.
# Jupyter refuses to start as root (containers often are) unless told: say so for it.
lab: install
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

bench: install sandbox-deps
	$(PY) benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

include Makefile.release.mk
include Makefile.student.mk
include Makefile.collect.mk
include Makefile.gradescope.mk
