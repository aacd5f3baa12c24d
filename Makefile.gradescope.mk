# `make gradescope ASSIGNMENT=id [VISIBILITY=visible]` writes gradescope/<id>.zip, the autograder to
# upload to a Gradescope programming assignment (setup.sh and run_autograder at its root; see
# autograder/integrations/gradescope.py). VISIBILITY is Gradescope's: hidden, after_due_date, after_published or
# visible (the default: students see every check's result at once).
VENV ?= .venv
PY ?= $(VENV)/bin/python
VISIBILITY ?= visible

.PHONY: gradescope
gradescope: install
	@test -n "$(ASSIGNMENT)" || { echo "usage: make gradescope ASSIGNMENT=<id> [VISIBILITY=visible] (ids: $$($(PY) -m autograder ids | tr '\n' ' '))" >&2; exit 2; }
	$(PY) -m autograder gradescope build "$(ASSIGNMENT)" --visibility "$(VISIBILITY)"
