"""Each discrepancy kind, worked by hand on small lists (compare.py defines them)."""

from __future__ import annotations

import pytest

from careloop.medrec import ingredients
from careloop.medrec.compare import DiscrepancyKind as K
from careloop.medrec.compare import Line, compare, frequency_code


def line(ref: int, rxcui: str, frequency: str = "once daily", *, dose: str | None = None, route: str | None = None,
         stop: bool = False) -> Line:
    product = ingredients.product(rxcui)
    assert product is not None
    return Line(ref, product.ingredient_rxcui, product.ingredient, product.drug_class, dose or product.strength,
                frequency, route or product.route, stop)


LISINOPRIL_10, LISINOPRIL_20 = "314076", "314077"
FUROSEMIDE_40, METFORMIN, METFORMIN_ER = "313988", "861007", "860975"
APIXABAN, WARFARIN, ASPIRIN, CLOPIDOGREL = "1364445", "855332", "243670", "309362"


def kinds(pre: list[Line], discharge: list[Line]) -> list[tuple[K, str]]:
    return [(d.kind, d.ingredient) for d in compare(pre, discharge)]


def test_same_lists_have_no_discrepancy() -> None:
    assert compare([line(1, LISINOPRIL_10)], [line(2, LISINOPRIL_10)]) == []


def test_new() -> None:
    [d] = compare([], [line(2, FUROSEMIDE_40)])
    assert (d.kind, d.ingredient, d.pre, d.discharge) == (K.new, "furosemide", None, 2)
    assert d.detail == "started in hospital: 40 MG oral once daily"


def test_stopped() -> None:
    [d] = compare([line(1, FUROSEMIDE_40)], [line(2, FUROSEMIDE_40, stop=True)])
    assert (d.kind, d.pre, d.discharge) == (K.stopped, 1, 2)


def test_omitted() -> None:
    [d] = compare([line(1, FUROSEMIDE_40), line(3, LISINOPRIL_10)], [line(2, LISINOPRIL_10)])
    assert (d.kind, d.ingredient, d.pre, d.discharge) == (K.omitted, "furosemide", 1, None)


def test_dose_changed_across_products_of_one_ingredient() -> None:
    # lisinopril 10 mg before, lisinopril 20 mg after: another product, the same ingredient (RxCUI 29046).
    [d] = compare([line(1, LISINOPRIL_10)], [line(2, LISINOPRIL_20)])
    assert (d.kind, d.detail) == (K.dose_changed, "dose 10 MG -> 20 MG")


def test_frequency_changed() -> None:
    [d] = compare([line(1, METFORMIN, "1 tablet by mouth twice daily with meals")],
                  [line(2, METFORMIN, "1 tablet by mouth once daily")])
    assert d.kind is K.frequency_changed


def test_release_form_with_same_strength_and_frequency_is_no_discrepancy() -> None:
    # metformin 500 mg twice daily vs metformin ER 500 mg twice daily: same ingredient, dose and frequency.
    assert compare([line(1, METFORMIN, "twice daily")], [line(2, METFORMIN_ER, "twice daily")]) == []


def test_route_changed() -> None:
    [d] = compare([line(1, FUROSEMIDE_40)], [line(2, FUROSEMIDE_40, route="intravenous")])
    assert (d.kind, d.detail) == (K.route_changed, "route oral -> intravenous")


def test_several_changes_make_one_discrepancy_naming_each() -> None:
    [d] = compare([line(1, LISINOPRIL_10)], [line(2, LISINOPRIL_20, "twice daily")])
    assert d.kind is K.dose_changed
    assert d.detail == "dose 10 MG -> 20 MG; frequency once daily -> twice daily"


def test_duplicate_therapy_by_class() -> None:
    # Apixaban continued and warfarin added: two anticoagulants.
    found = kinds([line(1, APIXABAN, "twice daily")], [line(2, APIXABAN, "twice daily"), line(3, WARFARIN)])
    assert found == [(K.new, "warfarin"), (K.duplicate, "warfarin")]


def test_duplicate_of_one_ingredient() -> None:
    found = kinds([], [line(2, METFORMIN, "twice daily"), line(3, METFORMIN_ER, "twice daily")])
    assert (K.duplicate, "metformin") in found


def test_aspirin_with_clopidogrel_is_not_a_duplicate() -> None:
    assert kinds([line(1, ASPIRIN), line(2, CLOPIDOGREL)], [line(3, ASPIRIN), line(4, CLOPIDOGREL)]) == []


@pytest.mark.parametrize(("text", "code"), [
    ("1 tablet by mouth once daily", "1/day"), ("1 tablet by mouth every morning", "1/day"),
    ("1 tablet by mouth at bedtime", "1/day"), ("1 tablet by mouth twice daily with meals", "2/day"),
    ("6 tablets (15 mg) by mouth once weekly", "1/week"),
    ("2 puffs every 4 to 6 hours as needed for wheezing", "q4-6h+prn"),
    ("1 spray under the tongue as needed for chest pain", "as needed"),
])
def test_frequency_codes(text: str, code: str) -> None:
    assert frequency_code(text) == code


def test_every_synthetic_population_medicine_maps_to_an_ingredient() -> None:
    from careloop.synth.codes import MEDICINES

    missing = [m.rxnorm for m in MEDICINES.values() if ingredients.product(m.rxnorm) is None]
    assert missing == []
