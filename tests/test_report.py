"""The compare command end to end: figures, compare.json and a self-contained HTML report."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "compare",
            str(ROOT / "scenarios/pre_reform.toml"),
            str(ROOT / "scenarios/reform.toml"),
            "-n",
            "6",
            "--seed",
            "3",
            "--jobs",
            "2",
            "-q",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
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
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "compare",
            str(ROOT / "scenarios/pre_reform.toml"),
            str(ROOT / "scenarios/reform.toml"),
            "-n",
            "6",
            "--seed",
            "3",
            "-q",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for name in ("timeline", "distributions", "time_split", "agency_load", "zone_view"):
        assert (out / f"{name}.csv").read_bytes() == (compared / f"{name}.csv").read_bytes(), name


def test_attribute_and_report_commands(tmp_path):
    from test_compare import SMALL

    f = tmp_path / "small.toml"
    f.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "att"
    r = subprocess.run(
        [sys.executable, "-m", "sim", "attribute", str(f), "--levers", "all", "-n", "2", "-q", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads((out / "attribution.json").read_text(encoding="utf-8"))
    assert [lv["id"] for lv in d["levers"]] == ["fast_a", "no_defects", "skip_b"] and d["subsets_run"] == 8
    assert (out / "waterfall_approval_workdays.png").stat().st_size > 1000
    none = subprocess.run(
        [sys.executable, "-m", "sim", "attribute", str(f), "-n", "2", "-o", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert none.returncode == 2 and "no levers to attribute" in none.stderr and "Traceback" not in none.stderr
    html = tmp_path / "r" / "report.html"
    r = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(f), str(f), "-n", "2", "-q", "-o", str(html)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert html.read_text(encoding="utf-8").count("<img") >= 5
