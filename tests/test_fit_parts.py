"""The parts ``fit`` is made of, against known values: the Kolmogorov distribution's tabulated quantiles, KS
statistics counted by hand, lognormal samples, hand-drawn busy periods and graphs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.fitting.agencies import Busy, staff_from_concurrency
from sim.fitting.durations import fit_distribution, kolmogorov_p, ks_p_value, ks_statistic, lognormal_cdf
from sim.fitting.graph import transitive_reduction
from sim.scenario.calendar import WorkCalendar


@pytest.mark.parametrize(
    "lam, p",
    # P(K > lam) of the Kolmogorov distribution: its tabulated upper quantiles (Smirnov 1948), and K's CDF
    # at 1 (0.7300003283), whose series is evaluated on the other side of the switch at 1.18
    [(0.8276, 0.50), (1.0, 0.2699996717), (1.2238, 0.10), (1.3581, 0.05), (1.4802, 0.025), (1.6276, 0.01)],
)
def test_kolmogorov_p_matches_the_tables(lam: float, p: float) -> None:
    assert kolmogorov_p(lam) == pytest.approx(p, abs=2e-4)


def test_kolmogorov_p_is_continuous_and_bounded() -> None:
    assert kolmogorov_p(1.18 - 1e-9) == pytest.approx(kolmogorov_p(1.18), abs=1e-8)
    assert kolmogorov_p(0.0) == 1.0 and kolmogorov_p(0.1) == pytest.approx(1.0) and kolmogorov_p(5.0) < 1e-20


def test_ks_statistic_by_hand() -> None:
    # 1, 2, 3 against the uniform CDF x / 4: steps 1/3, 2/3, 1 against 0.25, 0.5, 0.75 -> D = 0.25 (at 3, and
    # before 1: 0.25 - 0)
    x = np.array([1.0, 2.0, 3.0])
    assert ks_statistic(x, x / 4) == pytest.approx(0.25)
    # with Stephens' correction, the 5 % critical value for n = 100 is 1.3581 / (10 + 0.12 + 0.011)
    assert ks_p_value(1.3581 / (10 + 0.12 + 0.011), 100) == pytest.approx(0.05, abs=1e-4)


def test_lognormal_cdf_at_its_median_and_p90() -> None:
    mu, sigma = math.log(5.0), 0.6
    cdf = lognormal_cdf(np.array([5.0, math.exp(mu + 1.2815515655446004 * sigma)]), mu, sigma)
    assert cdf == pytest.approx([0.5, 0.9])


def test_lognormal_samples_give_a_lognormal() -> None:
    rng = np.random.default_rng(7)
    d = fit_distribution(rng.lognormal(math.log(3.0), 0.5, 500), "workday", "visits")
    assert d is not None and d.table["dist"] == "lognormal"
    assert d.table["median"] == pytest.approx(3.0, rel=0.1)
    assert d.table["p90"] == pytest.approx(3.0 * math.exp(1.2816 * 0.5), rel=0.15)
    assert d.comment.startswith("n=500 visits, lognormal: KS D=") and "approximate" in d.comment


def test_other_samples_give_an_empirical_distribution_or_a_fixed_value() -> None:
    rng = np.random.default_rng(7)
    uniform = fit_distribution(rng.uniform(0.1, 1.0, 3000), "workday")  # far from a lognormal: KS rejects
    assert uniform is not None and uniform.table["dist"] == "empirical" and len(uniform.table["samples"]) == 50
    assert "KS rejects" in uniform.comment and uniform.facts["ks_p"] < 0.05
    with_zeros = fit_distribution(np.r_[np.zeros(10), rng.lognormal(0, 0.5, 90)], "workday")
    assert (
        with_zeros is not None
        and with_zeros.table["dist"] == "empirical"
        and "10% of them are zero" in with_zeros.comment
    )
    assert with_zeros.table["samples"][:5] == [0, 0, 0, 0, 0]
    few = fit_distribution([4.0, 1.0, 2.5], "workday")
    assert few is not None and few.table == {"dist": "fixed", "value": 2.5, "unit": "workday"}
    assert fit_distribution([], "workday") is None


def test_busy_is_when_every_staff_member_works() -> None:
    # two staff on a 09:00-17:00 calendar from Monday 2024-03-04; work on clock days [start, end):
    # 1.40-1.625, 1.50-1.55, 1.60-1.70: two in progress from 1.50 (12:00) to 1.55 (13:12) and from 1.60
    # (14:24) to 1.625 (15:00)
    cal = WorkCalendar(dt.date(2024, 3, 4), [True] * 7, 9.0, 17.0)
    start, end = np.array([1.40, 1.50, 1.60]), np.array([1.625, 1.55, 1.70])
    busy = Busy(start, end, 2, cal)
    assert list(busy.begin) == [1.5, 1.6] and list(busy.finish) == [1.55, 1.625]
    assert busy.workdays(1.0, 2.0) == pytest.approx((1.2 + 0.6) / 8)  # hours of an 8-hour day
    assert busy.workdays(1.52, 1.61) == pytest.approx((0.72 + 0.24) / 8)  # from 12:28.8, to 14:38.4
    assert busy.workdays(2.0, 3.0) == 0.0 and busy.workdays(1.56, 1.59) == 0.0
    assert staff_from_concurrency(start, end) == (2, 3)  # 1, 2, 2 in progress at the three starts


def test_transitive_reduction() -> None:
    # 0 -> 1 -> 2 -> 3 with shortcuts 0 -> 2, 0 -> 3, 1 -> 3; 4 alone after 0
    edges = [(0, 1), (1, 2), (2, 3), (0, 2), (0, 3), (1, 3), (0, 4)]
    assert transitive_reduction(5, edges) == [(0, 1), (0, 4), (1, 2), (2, 3)]
