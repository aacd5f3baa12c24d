"""The pages a person reads (a student's feedback, the class report) in a real headless Chromium,
with a CJK font installed: every image loads, no script error reaches the console, the Chinese
terms are drawn with a CJK font, and a screenshot is taken (kept under the test's tmp folder,
for a person to look at).

A probe script is added to a copy of each page: it records whether every image decoded
(``naturalWidth > 0``) in the DOM that ``--dump-dom`` prints. `make test` installs chromium and
fonts-noto-cjk where it runs as root; elsewhere these tests skip, saying why.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.classroom.run import run_class
from support import CORPUS, home

CC = home("corr2d")     # the assignment the pages are made for
COURSE_NAME = "CNN 101 卷积神经网络"

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _cjk_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(out.strip())


pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not _cjk_font(), reason="no CJK font is installed (apt-get install fonts-noto-cjk)"),
]

PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  document.body.setAttribute('data-probe',
    imgs.length + ':' + imgs.filter(i => i.complete && i.naturalWidth > 0).length);
});
</script>"""


def _chromium(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=timeout)


def _look(page: Path, shots: Path) -> dict:
    """Screenshot ``page`` and read its probed DOM; returns what was seen."""
    probed = page.with_name(page.stem + ".probed.html")
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    shot = shots / (page.parent.name + "-" + page.stem + ".png")
    r = _chromium("--window-size=1200,1800", f"--screenshot={shot}", probed.as_uri())
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", probed.as_uri())
    console = [line for line in (r.stderr + dom.stderr).splitlines() if "CONSOLE" in line]
    m = re.search(r'data-probe="(\d+):(\d+)"', dom.stdout)
    return {"shot": shot, "console": console, "images": (int(m[1]), int(m[2])) if m else None,
            "dom": dom.stdout}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("pages")
    # bob hands in a day and a half late: his page and the report show the penalty
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "{COURSE_NAME}"\n'
        f'c.Convkit.due_dates = {{"{CC}": "2026-10-05 23:59:00 +08:00"}}\n'
        f'c.AssignLatePenalties.plugin_class = "autograder.results.late.LatePenalty"\n',
        encoding="utf-8")
    for student, src in (("ada", "ok_double_loop.py"), ("bob", "bug_flipped_kernel.py"),
                         ("cy", "bug_zeros_float32.py"), ("dan", "bug_flipped_kernel.py")):
        d = course / "submitted" / student / CC
        d.mkdir(parents=True)
        shutil.copy(CORPUS / CC / src, d / f"{CC}.py")
        (d / "timestamp.txt").write_text("2026-10-07 04:00:00.000000 UTC" if student == "bob"
                                         else "2026-10-05 12:00:00.000000 UTC")
    (course / "submitted" / "eve").mkdir()          # enrolled, handed nothing in: missing
    run_class(course, jobs=1, isolation="none")
    return course


def _nonblank(png: Path) -> bool:
    from PIL import Image
    with Image.open(png) as im:
        lo, hi = im.convert("L").getextrema()
    return hi - lo > 100


def test_the_similarity_report_renders_side_by_side_without_running_student_code(tmp_path):
    """Two near-copies, one carrying a script in a comment: the page draws both sources side by
    side, no script of the student's runs (the title stays), and nothing reaches the console."""
    import json
    from autograder.reports.similarity import compare, write
    from test_similarity import STACKED, WHILE, WHILE_COPY, _notebook
    course = tmp_path / "course"
    for student, body in (("near_a", WHILE), ("near_b", WHILE_COPY), ("other", STACKED)):
        d = course / "submitted" / student / CC
        d.mkdir(parents=True)
        (d / f"{CC}.ipynb").write_text(json.dumps(_notebook(body)), encoding="utf-8")
    write(course, *compare(course))
    seen = _look(course / "similarity.html", tmp_path)
    assert seen["console"] == []
    assert _nonblank(seen["shot"])
    assert "相似度" in seen["dom"] and "pwned" not in re.findall(r"<title>(.*?)</title>", seen["dom"])[0]
    assert seen["dom"].count("<mark>") >= 2 and 'class="sides"' in seen["dom"]


def test_a_feedback_page_renders_with_its_chinese_terms(course, tmp_path):
    page = course / "convkit" / "feedback" / "bob" / CC / "feedback.html"
    seen = _look(page, tmp_path)
    assert seen["console"] == []
    assert _nonblank(seen["shot"])
    assert "图像卷积" in seen["dom"] and "Your <code>Conv2D</code> is right: it calls <code>corr2d</code>" in seen["dom"]
    assert "Property: corr2d(X, K)" in seen["dom"]
    assert "1 d 12 h after the due date 2026-10-05 15:59:00 UTC" in seen["dom"]
    assert "10% of the score per started day late" in seen["dom"]


def test_the_class_report_renders_every_image(course, tmp_path):
    seen = _look(course / "convkit" / "class_report.html", tmp_path)
    assert seen["console"] == []
    total, loaded = seen["images"]
    # the histograms and the students x checks heatmap of the one graded assignment
    assert total == 2 and loaded == total
    assert _nonblank(seen["shot"])
    dom = seen["dom"]
    assert f"<title>Class report: {COURSE_NAME}</title>" in dom
    assert "students by checks heatmap" in dom
    # bob and dan share the flipped kernel: one signature of two, its hint shown once
    assert re.search(r"<b>2</b>: bob, dan", dom)
    assert dom.count("the kernel flipped") == 1
    assert re.search(r"<td>eve</td>.*?missing", dom, re.S)
    assert re.search(r"<td>bob</td>.*?late\)", dom, re.S) and dom.count(" late)</span>") == 1


def test_the_class_report_lists_unusual_operations(course):
    """Each record lists what each exercise's code called; one outside what the reference and the
    correct corpus call is listed on the class report, for a human to look at."""
    import json
    from autograder.reports.classreport import collect, html_report, usual_ops
    record = course / "convkit" / "autograded" / "ada" / CC / "convkit.json"
    data = json.loads(record.read_text())
    assert "Tensor.sum" in data["called"]["corr2d"]            # ada's double loop
    assert set(data["called"]["corr2d"]) <= usual_ops()["corr2d"]
    page = html_report(collect(course / "convkit", [], [CC]))
    # bob and dan flip the kernel with torch.flip, which no correct submission calls
    assert "Unusual operations" in page and "<code>torch.flip</code>" in page
    assert "torch.stft" not in page
    data["called"]["corr2d"].append("torch.stft")
    record.write_text(json.dumps(data))
    try:
        page = html_report(collect(course / "convkit", [], [CC]))
        assert "Unusual operations" in page and "<code>torch.stft</code>" in page
    finally:
        data["called"]["corr2d"].remove("torch.stft")
        record.write_text(json.dumps(data))
