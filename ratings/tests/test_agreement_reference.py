"""Published agreement values, reproduced from the raw tables through the product's code paths.

The tables live in `ratings/tests/reference/` (sources in its README). Every table goes through the same builder the services
use (`value_counts_from_triples` from (unit, coder, value) triples), then the
same statistic functions.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from ratings.stats import agreement as ag
from ratings.tests.reference_data import reference_path

_ref = reference_path


def _rows(name: str) -> list[list[str]]:
    with _ref(name).open(newline="", encoding="utf-8") as fh:
        return [[cell.strip() for cell in row] for row in csv.reader(fh) if row]


def _triples_from_coder_rows(rows: list[list[str]], missing: set[str]) -> tuple[list[int], list[int], list[float]]:
    """Coders in rows, units in columns (first column = coder name)."""
    units, coders, values = [], [], []
    for coder, row in enumerate(rows):
        for unit, cell in enumerate(row[1:]):
            if cell not in missing:
                units.append(unit)
                coders.append(coder)
                values.append(float(cell))
    return units, coders, values


def _value_counts(units: list[int], coders: list[int], raw: list[float]) -> tuple[np.ndarray, np.ndarray]:
    domain = np.unique(raw)
    codes = np.searchsorted(domain, raw)
    vc = ag.value_counts_from_triples(units, coders, codes, n_categories=domain.size)
    return vc.counts, domain


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011(level: str, published: float) -> None:
    rows = _rows("krippendorff2011_4coders_12units.csv")
    assert rows[0][0] == "coder" and len(rows) == 5
    counts, domain = _value_counts(*_triples_from_coder_rows(rows[1:], missing={""}))
    assert round(ag.krippendorff_alpha(counts, level=level, value_domain=domain), 3) == published
    # The large-study path (distinct unit patterns) gives the same number.
    assert ag.krippendorff_alpha_patterns(counts, level=level, value_domain=domain) == pytest.approx(
        ag.krippendorff_alpha(counts, level=level, value_domain=domain), abs=1e-12
    )


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.691), ("interval", 0.811)])
def test_wikipedia_example(level: str, published: float) -> None:
    rows = _rows("wikipedia_3coders_15units.csv")
    assert len(rows) == 4 and len(rows[0]) == 16
    counts, domain = _value_counts(*_triples_from_coder_rows(rows[1:], missing={""}))
    assert round(ag.krippendorff_alpha(counts, level=level, value_domain=domain), 3) == published


@pytest.mark.parametrize(("level", "published"), [("ordinal", 0.7598), ("nominal", 0.4765)])
def test_hayes_krippendorff_2007(level: str, published: float) -> None:
    rows = _rows("hayes_krippendorff_2007_40units_5observers.csv")
    assert len(rows) == 41 and len(rows[0]) == 5
    units, coders, values = [], [], []
    for unit, row in enumerate(rows[1:]):  # units in rows, observers in columns
        for coder, cell in enumerate(row):
            if cell != "NA":
                units.append(unit)
                coders.append(coder)
                values.append(float(cell))
    counts, domain = _value_counts(units, coders, values)
    assert round(ag.krippendorff_alpha(counts, level=level, value_domain=domain), 4) == published


def test_fleiss_wikipedia_counts() -> None:
    rows = _rows("fleiss_wikipedia_10subjects_14raters_5cats.csv")
    assert rows[0][:6] == ["subject", "cat1", "cat2", "cat3", "cat4", "cat5"]
    table = np.array([[int(x) for x in row[1:6]] for row in rows[1:]])
    assert (table.sum(axis=1) == 14).all()
    result = ag.fleiss_kappa(table)
    assert round(result["kappa"], 3) == 0.210
    assert round(result["p_bar"], 3) == 0.378
    assert round(result["p_e"], 3) == 0.213


def test_fleiss_1971_from_raw_ratings() -> None:
    rows = _rows("fleiss1971_diagnoses_30subjects_6raters.csv")
    assert len(rows) == 31
    units, coders, values = [], [], []
    for row in rows[1:]:
        for coder, cell in enumerate(row[1:]):
            units.append(int(row[0]))
            coders.append(coder)
            values.append(int(cell) - 1)  # categories 1..5 -> indices
    vc = ag.value_counts_from_triples(units, coders, values, n_categories=5)
    assert round(ag.fleiss_kappa(vc.counts)["kappa"], 4) == 0.4302


def _cohen_table() -> np.ndarray:
    rows = _rows("cohen_sas_table10_3x3.csv")
    assert rows[0] == ["rater1\\rater2", "c1", "c2", "c3"]
    return np.array([[int(x) for x in row[1:]] for row in rows[1:]])


def test_cohen_sas_table() -> None:
    result = ag.cohen_kappa(_cohen_table())
    assert round(result["kappa"], 4) == 0.4842
    assert round(result["ci_low"], 4) == 0.2137
    assert round(result["ci_high"], 4) == 0.7547
    assert round(ag.cohen_kappa(_cohen_table(), weights="linear")["kappa"], 4) == 0.4701


def test_cohen_through_pairwise_rater_path() -> None:
    """Expand the table into two raters' ratings of 19 units and go through pairwise_cohen, as the service does."""
    table = _cohen_table()
    units, coders, values = [], [], []
    unit = 0
    for i in range(3):
        for j in range(3):
            for _ in range(table[i, j]):
                units += [unit, unit]
                coders += [7, 3]  # coder 3 < coder 7: coder 3 must be the table's row rater
                values += [j, i]
                unit += 1
    (row,) = ag.pairwise_cohen(units, coders, values, n_categories=3, min_overlap=10)
    assert (row["coder_1"], row["coder_2"], row["n"]) == (3, 7, 19)
    assert round(row["kappa"], 4) == 0.4842
    (weighted,) = ag.pairwise_cohen(units, coders, values, n_categories=3, weights="linear")
    assert round(weighted["kappa"], 4) == 0.4701
    assert ag.pairwise_cohen(units, coders, values, n_categories=3, min_overlap=20) == []
