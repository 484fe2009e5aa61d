"""The HTML report as a reader sees it: opened in a real headless Chromium (Debian's ``chromium``;
CI installs it, elsewhere the test is skipped with the reason), its rendered DOM read back, and a
screenshot kept next to the report (in ``$BOUNDCALC_ARTIFACTS`` when set, as CI does)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from boundcalc.report.build import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="no chromium here (Debian: apt-get install chromium; CI installs it)")


def _chromium(*args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None, "CI must install Debian's chromium for the browser test"
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = Path(os.environ.get("BOUNDCALC_ARTIFACTS") or tmp_path_factory.mktemp("browser")) / "browser-report"
    (out / "report-screenshot.png").unlink(missing_ok=True)  # the test's own file: --force replaces only ours
    write_report(out, sections=2, experiments=False, force=out.exists())
    return out / "report.html"


def test_rendered_page_shows_no_raw_tex(page):
    run = _chromium("--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert "<math" in dom and "Verdicts" in dom
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script|math|code)\b.*?</\1>", " ", dom, flags=re.S))
    leftovers = [raw for raw in ("$", "\\frac", "\\sigma", "^{", "_{") if raw in visible]
    assert not leftovers, f"raw TeX in the rendered page: {leftovers}"


def test_screenshot_is_kept_next_to_the_report(page):
    shot = page.with_name("report-screenshot.png")
    run = _chromium(f"--screenshot={shot}", "--window-size=1200,1800", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
