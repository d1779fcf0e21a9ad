"""Vitals and labs, measured at office visits and before hospital discharge, with values tied to each
patient's conditions: hypertensives run higher blood pressures (about 30% uncontrolled, near the 2017-2018
NHANES control rate among treated adults), diabetics higher HbA1c and glucose (about a fifth above 9%),
CKD and cancer lower haemoglobin, heart failure, advanced CKD and cirrhosis lower sodium. Each patient has
a baseline per measure; each measurement varies around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from careloop.models.encounter import EncounterClass, EncounterStatus
from careloop.models.observation import ObservationStatus
from careloop.synth import codes
from careloop.synth.clinical import Conditions
from careloop.synth.codes import Loinc
from careloop.synth.demographics import People
from careloop.synth.draw import Floats, Ints, between, chance, place_in_chunk
from careloop.synth.frames import NULL_INT, Frame, arrange, concat, public_ids
from careloop.synth.utilisation import HOUR, Encounters
from careloop.synth.writer import IdAllocator


@dataclass(frozen=True)
class Baselines:
    systolic: Floats
    weight: Floats
    hba1c: Floats
    hemoglobin: Floats
    sodium: Floats
    heart_rate: Floats
    oxygen_saturation: Floats
    respiratory_rate: Floats


def baselines(rng: np.random.Generator, who: People, found: Conditions) -> Baselines:
    n = who.n
    hypertensive = found.active("hypertension")
    uncontrolled_bp = hypertensive & chance(rng, 0.3, n)
    systolic = 116 + 0.3 * np.maximum(who.age - 40, 0) + 8 * hypertensive + 18 * uncontrolled_bp + rng.normal(0, 7, n)
    weight = np.clip(np.where(who.female, rng.normal(74, 16, n), rng.normal(88, 17, n)), 42, 190)
    diabetic = found.active("diabetes")
    uncontrolled_dm = diabetic & chance(rng, 0.22, n)
    prediabetic = ~diabetic & (who.age > 45) & chance(rng, 0.25, n)
    type_1 = found.variant_of("diabetes") == 4
    hba1c = np.where(diabetic, rng.normal(7.3, 0.9, n) + 2.2 * uncontrolled_dm + 0.4 * type_1,
                     rng.normal(5.4, 0.25, n) + 0.6 * prediabetic)
    stage = found.variant_of("ckd")
    hemoglobin = (np.where(who.female, rng.normal(13.2, 0.9, n), rng.normal(14.6, 1.0, n))
                  - 0.6 * (stage == 0) - 1.8 * (stage >= 1) - 0.9 * found.active("cancer")
                  - 0.3 * found.active("heart_failure"))
    sodium = (rng.normal(139.5, 1.8, n) - 2.0 * found.active("heart_failure") - 1.5 * (stage >= 1)
              - 2.0 * found.active("liver_disease"))
    lungs = found.active("copd")
    heart = found.active("heart_failure")
    heart_rate = rng.normal(73, 8, n) + 6 * heart + 4 * lungs
    oxygen_saturation = rng.normal(97.6, 0.8, n) - 3.0 * lungs - 1.2 * heart
    respiratory_rate = rng.normal(15.5, 1.2, n) + 2.5 * lungs + 1.0 * heart
    return Baselines(systolic, weight, np.clip(hba1c, 4.2, 14.5), hemoglobin, sodium, heart_rate,
                     oxygen_saturation, respiratory_rate)


@dataclass
class _Readings:
    rng: np.random.Generator
    encounters: Encounters
    parts: list[Frame]

    def add(self, visit: Ints, loinc: Loinc, value: Floats, at: Ints, panel: str = "") -> None:
        k = len(visit)
        self.parts.append({
            "owner": self.encounters.owner[visit], "encounter": visit, "at": at, "value": value,
            "code": np.full(k, loinc.code), "display": np.full(k, loinc.display), "unit": np.full(k, loinc.unit),
            "category": np.full(k, loinc.category), "panel_code": np.full(k, panel),
        })


def observation_frame(rng: np.random.Generator, who: People, found: Conditions, encounters: Encounters,
                      patient_ids: Ints, allocator: IdAllocator) -> Frame:
    base = baselines(rng, who, found)
    readings = _Readings(rng, encounters, [])
    _office_measurements(readings, found, base)
    _acute_care_vitals(readings, base, who.as_of)
    _discharge_labs(readings, base, found)
    rows = concat(readings.parts)
    k = len(rows["owner"]) if rows else 0
    if not k:
        return {}
    encounter_ids = encounters.frame["id"]
    return arrange({
        "id": allocator.take("observations", k),
        "public_id": public_ids(rng, k, who.minted_ms),
        "patient_id": patient_ids[rows["owner"]],
        "encounter_id": np.where(rows["encounter"] >= 0, encounter_ids[rows["encounter"]], NULL_INT),
        "category": rows["category"],
        "code": rows["code"],
        "display": rows["display"],
        "panel_code": rows["panel_code"],
        "status": np.full(k, ObservationStatus.final.value),
        "effective_at": rows["at"].astype("datetime64[s]"),
        "value_num": rows["value"].astype(np.float64),
        "value_text": np.full(k, ""),
        "unit": rows["unit"],
    }, "code", "effective_at")


def _office_measurements(readings: _Readings, found: Conditions, base: Baselines) -> None:
    rng, encounters = readings.rng, readings.encounters
    visits = encounters.where(EncounterClass.ambulatory, EncounterStatus.finished)
    who = encounters.owner[visits]
    at = encounters.start[visits] + 600  # vitals ten minutes into the visit
    measured = visits[chance(rng, 0.85, len(visits))]
    _blood_pressure(readings, measured, base, encounters, 600)
    _vital_signs(readings, measured, encounters.start[measured] + 600, base, share=0.5, acute=False)
    weighed = chance(rng, 0.3 + 0.55 * found.active("heart_failure")[who])  # daily weights matter in HF
    readings.add(visits[weighed], codes.WEIGHT,
                 np.round(base.weight[who[weighed]] * rng.normal(1, 0.015, weighed.sum()), 1), at[weighed])
    chronic = (found.active("diabetes") | found.active("ckd") | found.active("heart_failure")
               | found.active("hypertension"))[who]
    _metabolic_panel(readings, visits[chance(rng, 0.12 + 0.13 * chronic)], base, found, 1800)
    anaemia_risk = (found.active("ckd") | found.active("cancer"))[who]
    blood_count = chance(rng, 0.06 + 0.14 * anaemia_risk)
    readings.add(visits[blood_count], codes.HEMOGLOBIN, _hemoglobin(rng, base, who[blood_count], 0.0),
                 at[blood_count] + 1800)
    diabetic = found.active("diabetes")[who]
    a1c = chance(rng, np.where(diabetic, 0.4, 0.03))  # diabetics about twice a year (ADA)
    readings.add(visits[a1c], codes.HBA1C, np.round(np.clip(base.hba1c[who[a1c]] + rng.normal(0, 0.35, a1c.sum()),
                                                            4.0, 15.0), 1), at[a1c] + 1800)


def _blood_pressure(readings: _Readings, visits: Ints, base: Baselines, encounters: Encounters, offset: int,
                    at: Ints | None = None) -> None:
    """Two rows sharing the panel code and time: systolic and diastolic."""
    rng, k = readings.rng, len(visits)
    who = encounters.owner[visits]
    systolic = np.clip(np.round(base.systolic[who] + rng.normal(0, 8, k)), 85, 220)
    diastolic = np.clip(np.round(0.45 * systolic + 22 + rng.normal(0, 5, k)), 45, 125)
    at = at if at is not None else encounters.start[visits] + offset
    readings.add(visits, codes.SYSTOLIC, systolic, at, codes.BP_PANEL)
    readings.add(visits, codes.DIASTOLIC, diastolic, at, codes.BP_PANEL)


def _acute_care_vitals(readings: _Readings, base: Baselines, as_of: int) -> None:
    """A triage set at each ED visit, and one set a day on the ward for each hospital stay (a stay still going
    on has its sets up to now)."""
    encounters = readings.encounters
    ed = np.concatenate([encounters.where(EncounterClass.emergency, status) for status in
                         (EncounterStatus.finished, EncounterStatus.in_progress)])
    triage = np.asarray(encounters.start[ed] + 900, dtype=np.int64)
    stays = np.concatenate([encounters.where(EncounterClass.inpatient, status) for status in
                            (EncounterStatus.finished, EncounterStatus.in_progress)])
    until = np.where(encounters.end[stays] >= 0, encounters.end[stays], as_of)
    first = encounters.start[stays] + 6 * HOUR
    sets = np.maximum((until - first) // (24 * HOUR), 0) + 1
    stay = np.repeat(stays, sets)
    day = place_in_chunk(sets)
    ward = np.asarray(np.repeat(first, sets) + day * 24 * HOUR, dtype=np.int64)
    visits, at = np.concatenate([ed, stay]), np.concatenate([triage, ward])
    _blood_pressure(readings, visits, base, encounters, 0, at=at)
    _vital_signs(readings, visits, at, base, share=1.0, acute=True)


def _vital_signs(readings: _Readings, visits: Ints, at: Ints, base: Baselines, *, share: float,
                 acute: bool) -> None:
    """Pulse at every set; respiratory rate, temperature and oxygen saturation at `share` of them."""
    rng, encounters = readings.rng, readings.encounters
    who = encounters.owner[visits]
    illness = 1.0 if acute else 0.0
    k = len(visits)
    readings.add(visits, codes.HEART_RATE, _rounded(base.heart_rate[who] + 9 * illness + rng.normal(0, 6, k),
                                                    38, 170, 0), at)
    taken = chance(rng, share, k)
    readings.add(visits[taken], codes.RESPIRATORY_RATE, _rounded(
        base.respiratory_rate[who[taken]] + 2.5 * illness + rng.normal(0, 1.5, taken.sum()), 8, 40, 0), at[taken])
    taken = chance(rng, share, k)
    fever = 1.3 * illness * chance(rng, 0.15, taken.sum())
    readings.add(visits[taken], codes.BODY_TEMPERATURE, _rounded(
        rng.normal(36.8, 0.25, taken.sum()) + fever, 35.0, 41.0, 1), at[taken])
    taken = chance(rng, share, k)
    readings.add(visits[taken], codes.OXYGEN_SATURATION, _rounded(
        base.oxygen_saturation[who[taken]] - 1.5 * illness + rng.normal(0, 1.0, taken.sum()), 75, 100, 0), at[taken])


def _metabolic_panel(readings: _Readings, visits: Ints, base: Baselines, found: Conditions, offset: int,
                     at: Ints | None = None, sodium_shift: float = 0.0) -> None:
    rng, encounters, k = readings.rng, readings.encounters, len(visits)
    who = encounters.owner[visits]
    when = at if at is not None else encounters.start[visits] + offset
    diabetic = found.active("diabetes")[who]
    # Mean glucose from HbA1c (ADAG study: eAG = 28.7 x A1c - 46.7), more scattered than the A1c itself.
    glucose = np.where(diabetic, 28.7 * base.hba1c[who] - 46.7 + rng.normal(0, 30, k), rng.normal(95, 11, k))
    readings.add(visits, codes.GLUCOSE, _rounded(glucose, 45, 550, 0), when)
    sodium = base.sodium[who] - sodium_shift + rng.normal(0, 1.8 + sodium_shift, k)
    readings.add(visits, codes.SODIUM, _rounded(sodium, 118, 156, 0), when)


def _hemoglobin(rng: np.random.Generator, base: Baselines, who: Ints, shift: float) -> Floats:
    return _rounded(base.hemoglobin[who] - shift + rng.normal(0, 0.5 + shift / 2, len(who)), 5.5, 19.5, 1)


def _rounded(values: NDArray[Any], low: float, high: float, decimals: int) -> Floats:
    """Clipped to what a lab could report, rounded as it would print."""
    return np.asarray(np.round(np.clip(values, low, high), decimals), dtype=np.float64)


def _discharge_labs(readings: _Readings, base: Baselines, found: Conditions) -> None:
    """Labs drawn on the morning of discharge, which readmission scores read (HOSPITAL: Hb < 12, Na < 135)."""
    rng, encounters = readings.rng, readings.encounters
    stays = encounters.where(EncounterClass.inpatient, EncounterStatus.finished)
    at = encounters.end[stays] - between(rng, 2 * HOUR, 10 * HOUR, len(stays))
    readings.add(stays, codes.HEMOGLOBIN, _hemoglobin(rng, base, encounters.owner[stays], 0.9), at)
    _metabolic_panel(readings, stays, base, found, 0, at=at, sodium_shift=1.5)
