# `make release`: generate the student notebooks assignments/<a>/<a>.ipynb from solutions/<a>/<a>.ipynb.
# nbgrader runs with throw-away HOME / JUPYTER_CONFIG_DIR / JUPYTER_DATA_DIR (no user configuration can
# change the result) and with the venv's bin first on PATH (nbgrader shells out to `alembic` when it
# creates .nbgrader/gradebook.db). tools/release.py then writes each notebook in one canonical form,
# so a rerun is byte-identical (checked by tests/test_notebooks.py).
VENV ?= .venv
RELEASE_ASSIGNMENTS := cross_correlation padding_stride channels

.PHONY: release
release: install
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/home" "$$tmp/config" "$$tmp/data"; \
	for a in $(RELEASE_ASSIGNMENTS); do \
	  HOME="$$tmp/home" JUPYTER_CONFIG_DIR="$$tmp/config" JUPYTER_DATA_DIR="$$tmp/data" \
	  PATH="$(abspath $(VENV))/bin:$$PATH" \
	  $(VENV)/bin/nbgrader generate_assignment "$$a" --force --CourseDirectory.root="$(CURDIR)"; \
	done; \
	$(VENV)/bin/python tools/release.py $(foreach a,$(RELEASE_ASSIGNMENTS),assignments/$(a)/$(a).ipynb)
