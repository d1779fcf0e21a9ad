"""The cross-walks imports use: SNOMED CT -> ICD-10-CM (a data file with its source stated) and NUBC patient
discharge status -> HL7 discharge-disposition."""

from __future__ import annotations

import importlib

import pytest

from careloop.terminology import discharge_disposition, icd10cm_for_snomed, normalise_icd10, nubc_to_hl7
from careloop.terminology.maps import _snomed_to_icd10cm


def test_snomed_conditions_map_to_undotted_icd10cm() -> None:
    assert icd10cm_for_snomed("59621000") == "I10"  # essential hypertension
    assert icd10cm_for_snomed("444814009") == "J0190"  # viral sinusitis
    assert icd10cm_for_snomed("160903007") is None  # full-time employment: a finding, not a diagnosis


def test_every_target_in_the_map_is_a_stored_form_icd10cm_code() -> None:
    assert all(normalise_icd10(code) == code for code in _snomed_to_icd10cm().values())


def test_the_map_agrees_with_the_synthetic_population() -> None:
    try:
        codes = importlib.import_module("careloop.synth.codes")
    except ImportError:
        pytest.skip("careloop.synth is not installed here")
    pairs = {code.snomed: code.icd10 for spec in codes.CONDITIONS for code in spec.variants}
    pairs |= {need.code.snomed: need.code.icd10 for need in codes.SOCIAL_NEEDS}
    # Housing unsatisfactory is broader than the utilities code synth pairs it with (its own comment says so).
    pairs.pop("105531004")
    assert {snomed: icd10cm_for_snomed(snomed) for snomed in pairs} == pairs


@pytest.mark.parametrize(("code", "hl7"), [("01", "home"), ("1", "home"), ("03", "snf"), ("06", "home"),
                                           ("07", "aadvice"), ("20", "exp"), ("50", "hosp"), ("62", "rehab"),
                                           ("63", "long"), ("65", "psy"), ("83", "snf")])
def test_nubc_discharge_codes_translate_to_hl7(code: str, hl7: str) -> None:
    assert nubc_to_hl7(code) == hl7
    assert discharge_disposition("http://www.nubc.org/patient-discharge", code) == (
        hl7, f"http://www.nubc.org/patient-discharge|{code}")


def test_hl7_codes_pass_and_unknown_ones_are_kept_without_a_guess() -> None:
    assert discharge_disposition("http://terminology.hl7.org/CodeSystem/discharge-disposition", "snf") == (
        "snf", None)
    assert discharge_disposition("http://example.org/local", "HOME") == (None, "http://example.org/local|HOME")
    assert nubc_to_hl7("99") is None
