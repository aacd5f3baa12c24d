# `make collect ARCHIVE=path.zip [COURSE=demo/course] [ASSIGNMENT=id] [REGEXP='...']`
# Imports an archive of submissions downloaded from an LMS into COURSE/submitted/<student>/<assignment>/
# (where `make grade` and `nbgrader autograde` look) with `nbgrader zip_collect`; see autograder/classroom/collect.py
# for the file names it accepts (<student_id>/<assignment>.ipynb or <student_id>_<assignment>.ipynb)
# and REGEXP for other LMS namings. Without ASSIGNMENT on the command line (the Makefile's default
# does not count), the assignment is read from the archive's notebook names.
VENV ?= .venv
PY ?= $(VENV)/bin/python
COURSE ?= $(or $(SUBMISSIONS),demo/course)
ARCHIVE ?=
REGEXP ?=

.PHONY: collect
collect: install
	@test -n "$(ARCHIVE)" || { echo "usage: make collect ARCHIVE=path.zip [COURSE=demo/course] [ASSIGNMENT=id] [REGEXP='...']" >&2; exit 2; }
	$(PY) -m autograder collect "$(ARCHIVE)" --course "$(COURSE)" \
	  $(if $(filter command line environment,$(origin ASSIGNMENT)),--assignment "$(ASSIGNMENT)",) \
	  $(if $(value REGEXP),--regexp '$(value REGEXP)',)
