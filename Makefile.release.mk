# `make release`: generate the student notebooks assignments/<a>/<a>.ipynb from solutions/<a>/<a>.ipynb.
# nbgrader runs with throw-away HOME / JUPYTER_CONFIG_DIR / JUPYTER_DATA_DIR (no user configuration can
# change the result) and with the venv's bin first on PATH (nbgrader shells out to `alembic` when it
# creates .nbgrader/gradebook.db). tools/release.py then writes each notebook in one canonical form,
# so a rerun is byte-identical (checked by tests/test_notebooks.py).
# The assignments are those of autograder/assignments/ (`python -m autograder ids`, in teaching
# order), read when the recipe runs: the venv exists only once `install` has been made.
VENV ?= .venv

.PHONY: release
release: install
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/home" "$$tmp/config" "$$tmp/data"; \
	ids=$$($(VENV)/bin/python -m autograder ids); test -n "$$ids"; \
	for a in $$ids; do \
	  HOME="$$tmp/home" JUPYTER_CONFIG_DIR="$$tmp/config" JUPYTER_DATA_DIR="$$tmp/data" \
	  PATH="$(abspath $(VENV))/bin:$$PATH" \
	  $(VENV)/bin/nbgrader generate_assignment "$$a" --force --CourseDirectory.root="$(CURDIR)"; \
	done; \
	$(VENV)/bin/python tools/release.py $$(for a in $$ids; do echo "assignments/$$a/$$a.ipynb"; done)
