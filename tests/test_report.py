"""The compare command end to end: figures, compare.json and a self-contained HTML report."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from helpers import REPO
from helpers.cli import run_cli
from helpers.shared_scenarios import SMALL_WITH_LEVERS

PRE, REFORM = REPO / "scenarios/pre_reform.toml", REPO / "scenarios/reform.toml"


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "data", "action", "poster") and v:
                self.refs.append(v)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    res = run_cli("compare", PRE, REFORM, "-n", 6, "--seed", 3, "--jobs", 2, "-q", "-o", out, timeout=300)
    assert res.returncode == 0, res.stderr
    return out


def test_every_figure_is_written_as_png_svg_and_csv(compared):
    for name in ("timeline", "distributions", "time_split", "agency_load", "zone_view"):
        for ext in ("png", "svg", "csv"):
            f = compared / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 100, f


def test_compare_json_holds_both_scenarios_and_the_paired_difference(compared):
    d = json.loads((compared / "compare.json").read_text(encoding="utf-8"))
    assert [s["levers"] == [] for s in d["scenarios"]] == [True, False]
    diff = d["differences"][0]["kpis"]["approval_workdays"]
    lo, hi = diff["ci95"]
    assert lo <= diff["mean"] <= hi < 0  # the reform is faster, and the interval says so


def test_report_is_self_contained_html(compared):
    text = (compared / "report.html").read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    assert "html" in parser.tags and parser.tags.count("img") >= 5
    assert parser.refs and all(r.startswith("data:image/png;base64,") for r in parser.refs)
    assert "http://" not in text and "https://" not in text
    for section in ("Key performance indicators (KPIs)", "Calibration targets", "Assumptions", "Scenarios"):
        assert section in text
    assert "ASSUMPTION" in text and "approval_workdays" in text


def test_same_seed_gives_identical_figure_data(compared, tmp_path):
    out = tmp_path / "again"
    res = run_cli("compare", PRE, REFORM, "-n", 6, "--seed", 3, "-q", "-o", out, timeout=300)
    assert res.returncode == 0, res.stderr
    for name in ("timeline", "distributions", "time_split", "agency_load", "zone_view"):
        assert (out / f"{name}.csv").read_bytes() == (compared / f"{name}.csv").read_bytes(), name


def test_attribute_and_report_commands(tmp_path, write_scenario):
    f = write_scenario(SMALL_WITH_LEVERS, "small.toml")
    out = tmp_path / "att"
    r = run_cli("attribute", f, "--levers", "all", "-n", 2, "-q", "-o", out, timeout=300)
    assert r.returncode == 0, r.stderr
    d = json.loads((out / "attribution.json").read_text(encoding="utf-8"))
    assert [lv["id"] for lv in d["levers"]] == ["fast_a", "no_defects", "skip_b"] and d["subsets_run"] == 8
    assert (out / "waterfall_approval_workdays.png").stat().st_size > 1000
    none = run_cli("attribute", f, "-n", 2, "-o", tmp_path / "x", timeout=300)
    assert none.returncode == 2 and "no levers to attribute" in none.stderr and "Traceback" not in none.stderr
    html = tmp_path / "r" / "report.html"
    r = run_cli("report", f, f, "-n", 2, "-q", "-o", html, timeout=300)
    assert r.returncode == 0, r.stderr
    assert html.read_text(encoding="utf-8").count("<img") >= 5


def test_report_captions_say_what_each_figure_shows(compared):
    import csv
    import re

    text = (compared / "report.html").read_text(encoding="utf-8")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S)
    assert len(captions) == 5
    assert not any(re.match(r"\s*\w+: ", c) for c in captions)  # not "timeline: timeline"
    assert all(len(re.sub("<[^>]+>", "", c)) > 150 for c in captions)
    with (compared / "timeline.csv").open(encoding="utf-8") as f:
        followed = {row["project"] for row in csv.DictReader(f)}
    (timeline,) = (c for c in captions if "(timeline.png)" in c)
    assert len(followed) == 1 and f"One project, {followed.pop()} (class large" in timeline


def test_report_same_day_table_matches_stages_csv(compared, tmp_path):
    import csv
    import re

    text = (compared / "report.html").read_text(encoding="utf-8")
    section = text.split("<h2>Decisions on the day of application</h2>", 1)[1].split("<h2>", 1)[0]
    overall = re.search(r"<b>all decisions</b></td>(.*?)</tr>", section, re.S)
    assert overall is not None
    shown = [int(x) for x in re.findall(r"<b>(\d+) %</b>", overall.group(1))]
    for scenario, percent in zip((PRE, REFORM), shown):
        out = tmp_path / scenario.stem
        res = run_cli("run", scenario, "-n", 6, "--seed", 3, "-q", "-o", out, timeout=300)
        assert res.returncode == 0, res.stderr
        with (out / "stages.csv").open(encoding="utf-8") as f:
            decided = [float(row["same_day"]) for row in csv.DictReader(f) if row["same_day"] != ""]
        assert percent == round(100 * sum(decided) / len(decided))
    assert shown[0] == 0 and shown[1] > 20  # the reform decides some applications on the day they come in


def test_report_assumptions_are_a_table_of_key_paths(compared):
    text = (compared / "report.html").read_text(encoding="utf-8")
    section = text.split("<h2>Assumptions</h2>", 1)[1]
    assert "<th class=l>key path</th><th class=l>value</th><th class=l>what the file says</th>" in section
    assert (
        "<code>calendar.<wbr>hours</code></td><td class=l><code>[&quot;09:00&quot;, &quot;17:00&quot;]</code>"
        in section
    )
    assert "<td class=l>office day of 8 hours</td>" in section
