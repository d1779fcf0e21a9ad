"""CMS-HCC V28 and V24: the hand-checked case from CLINICAL-REFERENCE.md section 6 (hccpy 0.1.9 with
[E1169, I5030, I509, I211, I209, R05], a 70-year-old man, community non-dual aged: V24 1.283, V28 1.034),
hierarchies, interactions, the age/sex edits and the segment rule."""

from __future__ import annotations

import json
from datetime import date

import pytest

from careloop.population import hcc_tables
from tests.population.harness import Scenario


def _hcc(codes: list[str], *, born: date = date(1956, 1, 1), gender: str = "male") -> dict[str, object]:
    scenario = Scenario()
    scenario.patient(1, born=born, gender=gender)
    for code in codes:
        scenario.condition(1, code)
    return scenario.run().one("SELECT h.*, e.hcc_evidence FROM hcc h JOIN hcc_evidence e USING (patient_id)"
                              " WHERE patient_id = 1")


def test_reference_case() -> None:
    row = _hcc(["E1169", "I5030", "I509", "I211", "I209", "R05"])
    assert (row["hcc_segment"], row["hcc_v28"], row["hcc_v24"]) == ("CNA", 1.034, 1.283)
    factors = {f["factor"] for f in json.loads(str(row["hcc_evidence"]))}
    assert factors == {"CNA_M70_74", "HCC37", "HCC226", "D2", "DIABETES_HF"}


def test_no_diagnoses_scores_the_demographic_cell_alone() -> None:
    row = _hcc([])
    factors = json.loads(str(row["hcc_evidence"]))
    assert [f["factor"] for f in factors] == ["CNA_M70_74"]
    assert row["hcc_v28"] == factors[0]["coefficient"]


def test_hierarchy_keeps_the_higher_hcc() -> None:
    # Metastatic cancer (V28 HCC17) sits above the other cancer HCCs (18-23): breast cancer adds nothing.
    both = _hcc(["C787", "C50919"], gender="female")
    alone = _hcc(["C787"], gender="female")
    assert both["hcc_v28"] == alone["hcc_v28"]


def test_age_sex_edit_moves_breast_cancer_under_50() -> None:
    # V28I0ED1: C50.919 under 50 counts as HCC22 instead of its usual HCC.
    young = json.loads(str(_hcc(["C50919"], born=date(1980, 1, 1), gender="female")["hcc_evidence"]))
    old = json.loads(str(_hcc(["C50919"], born=date(1950, 1, 1), gender="female")["hcc_evidence"]))
    assert "HCC22" in {f["factor"] for f in young}
    assert "HCC22" not in {f["factor"] for f in old}


def test_under_65_is_the_disabled_segment() -> None:
    row = _hcc(["I509"], born=date(1970, 1, 1))
    assert row["hcc_segment"] == "CND"
    assert any(f["factor"].startswith("CND_M") for f in json.loads(str(row["hcc_evidence"])))


def test_dotted_codes_count() -> None:
    assert _hcc(["i50.9"])["hcc_v28"] == _hcc(["I509"])["hcc_v28"]


def test_cms_files_parse_into_every_table() -> None:
    for model in hcc_tables.MODELS:
        assert len(hcc_tables.dx_rows(model)) > 8000
        assert len(hcc_tables.hierarchy_rows(model)) > 50
        assert len(hcc_tables.edit_rows(model)) >= 17
        assert len(hcc_tables.demographic_rows(model)) > 50


def test_an_unknown_edit_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unexpected condition"):
        hcc_tables._condition('&RACE="1"')
