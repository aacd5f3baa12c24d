"""nbgrader configuration of the convkit course (read by every `nbgrader ...` run from this folder).

The course folder is the repository itself: the instructor notebooks live in `solutions/<assignment>/`
(nbgrader's "source" step) and `make release` writes the student notebooks to
`assignments/<assignment>/` (nbgrader's "release" step). Paths are computed from this file's location,
so a copy of this file in another folder (the tests do that) makes that folder the course root.

Run nbgrader with the venv's bin first on PATH (nbgrader shells out to `alembic` to create the
gradebook) and with HOME, JUPYTER_CONFIG_DIR and JUPYTER_DATA_DIR pointing at empty temporary folders,
so that no user-level Jupyter/nbgrader configuration can change the result (see `make release`).
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# The folder holding this file is the course root (traitlets sets __file__ when loading config).
ROOT = os.path.dirname(os.path.abspath(__file__))

# The assignments of the course are not listed here: nbgrader finds each in `solutions/<id>/`, and
# the kit's one list (ids, teaching order) is `autograder/assignments/` (`python -m autograder ids`).

# Course identity and layout.
c.CourseDirectory.root = ROOT                       # course folder = repository root
c.CourseDirectory.course_id = "convkit"             # course name stored in the gradebook
c.CourseDirectory.source_directory = "solutions"    # instructor notebooks (with solutions)
c.CourseDirectory.release_directory = "assignments" # generated student notebooks
# submitted/, autograded/, feedback/ keep nbgrader's default names.
# Files of a source folder that are never copied to the release (nbgrader's defaults plus the
# `.hypothesis/` folder that running the checks in a notebook's folder can leave behind).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".hypothesis"]

# Gradebook: a SQLite file in a git-ignored folder of the course root (`.nbgrader/`).
_db_dir = os.path.join(ROOT, ".nbgrader")
os.makedirs(_db_dir, exist_ok=True)
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_db_dir, "gradebook.db")

# nbgrader 0.9 has no list of assignments in the config (the old `db_assignments` is gone): an
# assignment is added to the gradebook when `generate_assignment` first runs on it.
c.GenerateAssignment.create_assignment = True

# What replaces the code between `### BEGIN SOLUTION` and `### END SOLUTION` in the release.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Any stderr output in a graded cell gives it 0 points; a harmless library warning printed while a
# correct submission runs must not zero it. At autograde, drop stderr outputs that are warnings.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning"

# One grader: `nbgrader autograde` grades with the kit's sandboxed engine, the one `make grade`
# runs, in place of nbgrader's Execute (which would run each student's notebook, "Try it" cells
# included, in a plain Jupyter kernel beside the graded cells). The kit's step writes each graded
# cell's points and per-check feedback into the autograded notebook; nbgrader's own steps then
# save the grades, apply the late penalty and check the cells, as they always do. An assignment
# the kit does not declare still runs in nbgrader's Execute.
c.Autograde.autograde_preprocessors = [
    "autograder.integrations.nbgrader.autograde.GradeWithConvkit",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback pages leave out hidden checks' details until c.Convkit.released names the assignment.
c.GenerateFeedback.preprocessors = [
    "autograder.integrations.nbgrader.autograde.HideUnreleased",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The kit's settings for this course (autograder/core/settings.py), read by `make grade` and by
# `nbgrader autograde` alike; command-line flags of `python -m autograder class` override them.
# c.Convkit.isolation = "auto"        # sandbox (bubblewrap), process, or auto
# c.Convkit.jobs = 0                  # make grade's parallel workers; 0: one per CPU
# c.Convkit.released = []             # assignments whose hidden checks students may now see
# Late submissions: due dates (or nbgrader's own, `nbgrader db assignment add A --duedate=...`),
# extensions in hours per student, and the penalty (nbgrader's plugin interface).
# c.Convkit.due_dates = {"<assignment>": "2026-10-05 23:59:00 +08:00"}
# c.Convkit.extensions = {"<assignment>": {"ada": 48}}
# c.AssignLatePenalties.plugin_class = "autograder.results.late.LatePenalty"
# c.LatePenalty.per_day = 0.1         # of the score, per started day late
# c.LatePenalty.max_fraction = 0.5    # at most this much of the score
# c.LatePenalty.grace_minutes = 10

# Execution limits where nbgrader's Execute still runs a kernel (`nbgrader validate`, an
# assignment the kit does not declare): a graded cell runs the hypothesis checks of one
# exercise, which takes seconds; 120 s per cell leaves room on slow machines.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# The kernels nbgrader starts talk to it over Unix sockets in a private folder, not over localhost
# TCP. With TCP, jupyter_client picks five free ports, closes them and hands them to the kernel,
# which binds them seconds later: any other process on the machine (another nbgrader run, another
# kernel) can take one meanwhile, and the kernel then dies before replying to kernel_info (seen
# with several courses autograded at once). Sockets in a folder of this process's own cannot be
# taken, and no other local user can reach them. The folder is short (a socket path is limited to
# about 100 bytes, so not the course folder) and removed when the nbgrader command ends.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_kernel_dir = tempfile.mkdtemp(prefix="convkit-kernels-")
atexit.register(shutil.rmtree, _kernel_dir, ignore_errors=True)
c.KernelManager.transport = "ipc"
c.KernelManager.ip = os.path.join(_kernel_dir, "kernel")
