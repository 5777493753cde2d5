"""The HTML report in a real browser: headless Chromium loads a report of the shipped scenarios without a
console error, shows its tables and every figure, draws the Chinese names and the 万 of the money figures with
a font that has them, and renders the whole page to a PNG (kept in the test's folder, to look at)."""

from __future__ import annotations

import shutil

import pytest

import sim
from sim.present import plots
from sim.present.report import write_report

from helpers import REPO
from helpers.browser import Browser, chinese_font_families, find_chromium

INSTALL = "apt-get install -y chromium fonts-noto-cjk (.ci/run does it before the tests)"


@pytest.fixture(scope="module")
def chromium() -> str:
    program = find_chromium()
    fonts = chinese_font_families()
    if program and fonts:
        return program
    missing = " and ".join(m for m, ok in (("Chromium", program), ("a Chinese font", fonts)) if not ok)
    if shutil.which("apt-get") is None:
        pytest.skip(
            f"{missing} not installed, and no apt-get to install them with: the report is not tested in a browser"
        )
    pytest.fail(f"{missing} not installed: {INSTALL}")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    cmp = sim.compare(
        [sim.load(REPO / "scenarios/pre_reform.toml"), sim.load(REPO / "scenarios/reform.toml")], n=2, seed=1
    )
    figures = plots.all_figures(cmp)
    path = write_report(tmp_path_factory.mktemp("report") / "report.html", cmp, figures, command="compare (test)")
    return path, len(figures)


PAGE = """JSON.stringify({
  tables: [...document.querySelectorAll('table')].map(t => t.rows.length),
  headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
  images: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})),
  captions: [...document.querySelectorAll('figcaption')].map(c => c.textContent),
  money: [...document.querySelectorAll('td')].filter(td => td.textContent.includes('万')).length
})"""


def test_the_report_renders_in_chromium(chromium, report, tmp_path):
    import json

    path, n_figures = report
    with Browser(chromium, tmp_path / "profile", tmp_path / "chromium.log") as browser:
        browser.open(path.as_uri())
        page = json.loads(browser.evaluate(PAGE))
        # the Chinese of the title and the 万 of a money figure, drawn by a font that covers Chinese
        title_fonts = {f["familyName"] for f in browser.fonts_of("h1") if f["glyphCount"]}
        browser.evaluate(
            "document.querySelectorAll('td').forEach(td => { if (td.textContent.includes('万')) td.id = 'money' })"
        )
        money_fonts = {f["familyName"] for f in browser.fonts_of("#money") if f["glyphCount"]}
        shot = tmp_path / "report.png"
        width, height = browser.screenshot(shot)
        errors = browser.errors()
    assert errors == []
    assert page["headings"] == [
        "Scenarios",
        "Key performance indicators (KPIs)",
        "Decisions on the day of application",
        "Figures",
        "Calibration targets",
        "Assumptions",
    ]
    assert len(page["tables"]) == 4 and all(rows > 2 for rows in page["tables"])  # KPIs, same day, targets, assumptions
    assert len(page["images"]) == n_figures and all(i["complete"] and i["width"] > 500 for i in page["images"])
    assert all(len(c) > 120 and "timeline: timeline" not in c for c in page["captions"])
    assert page["money"] > 0
    chinese = chinese_font_families()
    assert title_fonts & chinese, title_fonts
    assert money_fonts & chinese, money_fonts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and height > 3000 and width == 1200
