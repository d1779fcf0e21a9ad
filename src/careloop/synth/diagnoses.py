"""Encounter diagnoses: what each visit, ED visit and hospital stay was coded with, as a claim or an
encounter's diagnosis list carries it.

Every encounter that took place has its reason as the first-listed diagnosis (an office visit's focus
condition or a general examination, an ED visit's or a stay's acute reason). Beside it go the patient's
chronic conditions that the encounter addressed: a hospital stay codes nearly all of them (inpatient claims
carry up to 25 diagnoses, and comorbidities change the DRG), an ED visit about half, an office visit about a
third (the ones managed that day). Those are the diagnoses that claims-based risk scores read (CMS-HCC takes
them from face-to-face encounters), so a population carries several times more diagnoses than problem-list
entries: about ten per patient in a year, as the issue's million-patient volume (10M diagnoses) assumes.

Rows are FHIR Conditions of category encounter-diagnosis linked to their encounter; the patient page and
panel list the problem list only. A chronic condition's row keeps the problem list's status and no onset (the
onset is on the problem-list entry); an acute reason is resolved two weeks after its encounter ended, unless
that was within the last month or the stay is still going on.
"""

from __future__ import annotations

import numpy as np

from careloop.models.condition import ConditionCategory, ConditionClinicalStatus
from careloop.models.encounter import EncounterClass, EncounterStatus
from careloop.synth.clinical import ALL_VARIANTS, VARIANT_OFFSET, Conditions
from careloop.synth.demographics import People
from careloop.synth.draw import Bools, Ints, between, chance, days, lookup, place_in_chunk
from careloop.synth.frames import NULL_INT, SECONDS_PER_DAY, Frame, arrange, public_ids
from careloop.synth.utilisation import Encounters
from careloop.synth.writer import IdAllocator

# Share of the patient's chronic conditions coded on an encounter of each class (approx., see above).
CODED_SHARE = {EncounterClass.inpatient.value: 0.9, EncounterClass.emergency.value: 0.5}
CODED_SHARE_OFFICE = 0.35
RESOLVED_AFTER_DAYS = 14
STILL_ACTIVE_DAYS = 30
_CHRONIC_ICD10 = frozenset(code.icd10 for code in ALL_VARIANTS)


def encounter_diagnosis_frame(rng: np.random.Generator, who: People, found: Conditions, encounters: Encounters,
                              patient_ids: Ints, allocator: IdAllocator) -> Frame:
    took_place = np.flatnonzero(encounters.frame["status"] != EncounterStatus.planned.value)
    principal = _principal(who, encounters, took_place)
    secondary = _secondary(rng, found, encounters, took_place)
    rows = {name: np.concatenate([principal[name], secondary[name]]) for name in principal}
    k = len(rows["encounter"])
    if not k:
        return {}
    owner = encounters.owner[rows["encounter"]]
    recorded = encounters.start[rows["encounter"]] + between(rng, 300, 3600, k)
    return arrange({
        "id": allocator.take("conditions", k),
        "public_id": public_ids(rng, k, who.minted_ms),
        "patient_id": patient_ids[owner],
        "encounter_id": encounters.frame["id"][rows["encounter"]],
        "code_system": rows["code_system"],
        "code": rows["code"],
        "display": rows["display"],
        "icd10": rows["icd10"],
        "category": np.full(k, ConditionCategory.encounter_diagnosis.value),
        "clinical_status": rows["status"],
        "verification_status": np.full(k, "confirmed"),
        "onset_date": rows["onset"].astype("datetime64[D]"),
        "abatement_date": rows["abatement"].astype("datetime64[D]"),
        "recorded_at": recorded.astype("datetime64[s]"),
    }, "icd10")


def _principal(who: People, encounters: Encounters, took_place: Ints) -> dict[str, np.ndarray]:
    """The encounter's reason, first listed. Chronic focus codes stay active; acute ones resolve."""
    k = len(took_place)
    code = encounters.frame["reason_code"][took_place]
    end = encounters.end[took_place]
    acute = ~np.isin(code, list(_CHRONIC_ICD10))
    over = (end != NULL_INT) & (end < who.as_of - days(STILL_ACTIVE_DAYS))
    resolved = acute & over
    start_day = encounters.start[took_place] // SECONDS_PER_DAY
    abatement = np.where(resolved, end // SECONDS_PER_DAY + RESOLVED_AFTER_DAYS, 0)
    return {
        "encounter": took_place, "code_system": np.full(k, "icd10cm"), "code": code,
        "display": encounters.frame["reason_display"][took_place], "icd10": code,
        "status": np.where(resolved, ConditionClinicalStatus.resolved.value, ConditionClinicalStatus.active.value),
        "onset": _days_or_nat(np.where(acute, start_day, NULL_INT)),
        "abatement": _days_or_nat(np.where(resolved, abatement, NULL_INT)),
    }


def _secondary(rng: np.random.Generator, found: Conditions, encounters: Encounters,
               took_place: Ints) -> dict[str, np.ndarray]:
    """Each chronic condition of the patient, coded on the encounter with its class's share; never twice
    beside the same code as the reason."""
    owner_of_condition, condition = np.nonzero(found.has)  # grouped by patient, as np.nonzero returns rows
    per_patient = np.bincount(owner_of_condition, minlength=len(found.has))
    first = np.concatenate([[0], np.cumsum(per_patient)[:-1]])
    owner = encounters.owner[took_place]
    encounter = np.repeat(took_place, per_patient[owner])
    pair = np.repeat(first[owner], per_patient[owner]) + place_in_chunk(per_patient[owner])
    patient, spec = owner_of_condition[pair], condition[pair]
    position = VARIANT_OFFSET[spec] + found.variant[patient, spec]
    icd10 = lookup([c.icd10 for c in ALL_VARIANTS], position)
    class_code = encounters.frame["class_code"][encounter]
    share = np.full(len(encounter), CODED_SHARE_OFFICE)
    for cls, value in CODED_SHARE.items():
        share[class_code == cls] = value
    keep: Bools = chance(rng, share) & (icd10 != encounters.frame["reason_code"][encounter])
    encounter, patient, spec, position, icd10 = encounter[keep], patient[keep], spec[keep], position[keep], icd10[keep]
    k = len(encounter)
    return {
        "encounter": encounter, "code_system": np.full(k, "snomed"),
        "code": lookup([c.snomed for c in ALL_VARIANTS], position),
        "display": lookup([c.display for c in ALL_VARIANTS], position), "icd10": icd10,
        "status": np.where(found.remission[patient, spec], ConditionClinicalStatus.remission.value,
                           ConditionClinicalStatus.active.value),
        "onset": _days_or_nat(np.full(k, NULL_INT)), "abatement": _days_or_nat(np.full(k, NULL_INT)),
    }


def _days_or_nat(day_numbers: Ints) -> np.ndarray:
    """Days since the epoch as dates, NULL_INT as no date."""
    return np.where(day_numbers == NULL_INT, np.datetime64("NaT", "D"), day_numbers.astype("datetime64[D]"))
