# `make student-kit [STUDENT_KIT_OUT=dist]`: what an instructor hands out, named for the course
# (nbgrader_config.py's course_id): dist/<course>_student-<version>-py3-none-any.whl (the checker
# as `convkit`, the oracles, the hints, the released notebooks) and dist/<course>-notebooks-
# <version>.zip. Nothing in them reveals an answer: no solutions, demo students, corpus or tests;
# the build stops if a solution's line is found in the wheel (tools/build_student_kit.py).
VENV ?= .venv
STUDENT_KIT_OUT ?= dist

.PHONY: student-kit
student-kit: install
	$(VENV)/bin/python tools/build_student_kit.py --out $(STUDENT_KIT_OUT)
