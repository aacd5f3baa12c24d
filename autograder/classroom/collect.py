"""Import an archive of submissions downloaded from an LMS into an nbgrader course folder.

    python -m autograder collect ARCHIVE.zip [--course demo/course] [--assignment ID] [--regexp RE]
    make collect ARCHIVE=path.zip [COURSE=demo/course] [ASSIGNMENT=ID]

A thin wrapper around ``nbgrader zip_collect``: the archive is copied to
``COURSE/downloaded/<assignment>/archive/``, nbgrader extracts it to ``.../extracted/`` and its
``FileNameCollectorPlugin`` copies every notebook whose path matches ``named_regexp`` to
``COURSE/submitted/<student_id>/<assignment>/``, where ``make grade`` (and ``nbgrader autograde``)
look for it. Importing again replaces a student's earlier submission of that assignment.

File naming inside the archive (the default regexp accepts all three; folders above are ignored;
the examples are for an assignment ``hw1``):

* a folder per student: ``<student_id>/<assignment>.ipynb``  (``ada_lovelace/hw1.ipynb``);
* flat: ``<student_id>_<assignment>.ipynb``                   (``ada_lovelace_hw1.ipynb``);
* a zip per student, ``<student_id>.zip`` holding ``<assignment>.ipynb`` (nbgrader extracts nested
  archives into a folder named after them).

Student ids may contain underscores: the id is everything before ``/<assignment>.ipynb`` or
``_<assignment>.ipynb``. Other LMS namings need ``--regexp``: a Python regular expression with the
named groups ``student_id`` and ``file_id`` (nbgrader's ``FileNameCollectorPlugin.named_regexp``), in
which ``{assignment}`` stands for the assignment id. As in nbgrader it is applied with ``re.match``
to the FULL path of each extracted file, so start it with ``.*/``. ``file_id`` is the notebook's
name in ``submitted/``. Example for Canvas (``doejohn_12345_67890_hw1.ipynb``, also
``doejohn_LATE_12345_67890_hw1.ipynb``)::

    .*/(?P<student_id>[a-z]+)_(?:LATE_)?\\d+_\\d+_(?P<file_id>{assignment}\\.ipynb)$

Without ``--assignment`` the assignment is read from the archive: every known assignment id that
names a notebook in it (``<assignment>.ipynb`` or ``..._<assignment>.ipynb``) is collected.

nbgrader runs with HOME, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR and IPYTHONDIR in a temporary folder
(no user configuration can change what is collected) and the interpreter's bin first on PATH.
Exit status: 0 when at least one notebook was collected for every assignment, 1 otherwise (nothing
matched, or nbgrader failed), 2 for a bad archive or unknown assignment.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..assignments import ids

ROOT = Path(__file__).resolve().parents[2]
# The kit's assignments, in teaching order: the module names of autograder/assignments/, read
# without importing them, so that collecting never loads torch.
ASSIGNMENTS = ids()
# The student id never starts with a dot: macOS archives hold "__MACOSX/<id>/._<name>" copies.
DEFAULT_REGEXP = r".*/(?P<student_id>[^/.][^/]*?)[/_](?P<file_id>{assignment}\.ipynb)$"


class CollectError(Exception):
    """The archive cannot be collected at all (unreadable, unsafe, unknown assignment)."""


@dataclass
class Collected:
    assignment: str
    students: dict = field(default_factory=dict)     # student_id -> [paths under submitted/]
    skipped: list = field(default_factory=list)      # notebooks in the archive that matched nothing
    log: str = ""
    returncode: int = 0


def regexp_for(assignment: str, regexp: str | None = None) -> str:
    """The named_regexp for one assignment: ``{assignment}`` replaced by the escaped id."""
    pattern = (regexp or DEFAULT_REGEXP).replace("{assignment}", re.escape(assignment))
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise CollectError(f"invalid --regexp {pattern!r}: {e}") from None
    missing = {"student_id", "file_id"} - set(compiled.groupindex)
    if missing:
        raise CollectError(f"the regexp needs the named groups {sorted(missing)}: {pattern!r}")
    return pattern


def archive_members(archive: Path) -> list[str]:
    """The file names in a zip archive; refuses absolute paths and ``..`` (zip-slip)."""
    try:
        with zipfile.ZipFile(archive) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile) as e:
        raise CollectError(f"{archive}: not a readable zip archive ({e})") from None
    for n in names:
        parts = n.replace("\\", "/").split("/")
        if n.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", n):
            raise CollectError(f"{archive}: unsafe path in the archive: {n!r}")
    return names


def assignments_in(names: list[str], known=ASSIGNMENTS) -> list[str]:
    """Known assignment ids that name a notebook of the archive (teaching order)."""
    found = []
    for a in known:
        pat = re.compile(rf"(^|[/_]){re.escape(a)}\.ipynb$")
        if any(pat.search(n) for n in names):
            found.append(a)
    return found


def isolated_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        d = tmp / var.lower()
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    for var in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH"):
        env.pop(var, None)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


def nbgrader_exe() -> list[str]:
    exe = Path(sys.executable).parent / "nbgrader"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]


def collect_one(archive: Path, course: Path, assignment: str, regexp: str | None = None,
                env: dict | None = None) -> Collected:
    """Run ``nbgrader zip_collect`` for one assignment; report what landed in submitted/."""
    pattern = regexp_for(assignment, regexp)
    archive_members(archive)  # refuses an unreadable or unsafe archive before nbgrader sees it
    course = course.resolve()
    archive_dir = course / "downloaded" / assignment / "archive"
    archive_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(archive, archive_dir / archive.name)
    with tempfile.TemporaryDirectory(prefix="convkit-collect-") as tmp:
        run_env = env or isolated_env(Path(tmp))
        cmd = nbgrader_exe() + [
            "zip_collect", assignment, "--force",
            f"--CourseDirectory.root={course}",
            # Notebook names are checked against the kit's release (a warning when they differ).
            f"--CourseDirectory.release_directory={ROOT / 'assignments'}",
            f"--FileNameCollectorPlugin.named_regexp={pattern}",
        ]
        # cwd: a fresh folder, so that no nbgrader_config.py of the caller's folder applies.
        proc = subprocess.run(cmd, cwd=tmp, env=run_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    out = Collected(assignment, log=proc.stdout, returncode=proc.returncode)
    extracted = course / "downloaded" / assignment / "extracted"
    matcher = re.compile(pattern)
    for nb in sorted(extracted.rglob("*.ipynb")) if extracted.is_dir() else []:
        if ".ipynb_checkpoints" in nb.parts or "__MACOSX" in nb.parts:
            continue
        m = matcher.match(str(nb))
        if not m:
            out.skipped.append(str(nb.relative_to(extracted)))
            continue
        dest = course / "submitted" / m.group("student_id") / assignment / m.group("file_id")
        if dest.exists():
            out.students.setdefault(m.group("student_id"), []).append(str(dest.relative_to(course)))
    return out


def collect(archive, course="demo/course", assignment: str | None = None,
            regexp: str | None = None) -> list[Collected]:
    archive, course = Path(archive), Path(course)
    if not archive.is_file():
        raise CollectError(f"{archive}: no such archive")
    names = archive_members(archive)
    if assignment:
        if assignment not in ASSIGNMENTS:
            raise CollectError(f"unknown assignment {assignment!r} (known: {', '.join(ASSIGNMENTS)})")
        todo = [assignment]
    else:
        todo = assignments_in(names)
        if not todo:
            raise CollectError(f"{archive}: no notebook named after an assignment "
                               f"({', '.join(a + '.ipynb' for a in ASSIGNMENTS)}); give --assignment (make collect: ASSIGNMENT=...)")
    course.mkdir(parents=True, exist_ok=True)
    return [collect_one(archive, course, a, regexp) for a in todo]


def main(args) -> int:
    """``python -m autograder collect ARCHIVE`` (the parser is the command tree's)."""
    try:
        results = collect(args.archive, args.course, args.assignment, args.regexp)
    except CollectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    status = 0
    for r in results:
        n = sum(len(v) for v in r.students.values())
        print(f"{r.assignment}: {len(r.students)} student(s), {n} notebook(s) -> "
              f"{Path(args.course) / 'submitted'}/<student>/{r.assignment}/")
        for s in sorted(r.students):
            print(f"  {s}: {', '.join(r.students[s])}")
        for s in r.skipped:
            print(f"  skipped (name matches no student/assignment pattern): {s}")
        if r.returncode != 0 or not r.students:
            status = 1
            print(f"error: nbgrader zip_collect {r.assignment} collected nothing or failed "
                  f"(exit {r.returncode}); its log:\n{r.log[-4000:]}", file=sys.stderr)
    return status
