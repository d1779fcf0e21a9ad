"""Chronic conditions, social needs and the medicines that follow from them.

Conditions use a liability-threshold model: each patient has two shared liabilities (general frailty and a
cardiometabolic one) and each condition is present where its liability passes the threshold that its
age- and sex-specific prevalence sets. Prevalence is therefore exactly what codes.py says, and conditions
still cluster: a patient with heart failure is much likelier than chance to have CKD and diabetes too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from careloop.models.condition import ConditionCategory, ConditionClinicalStatus
from careloop.models.medication import MedicationRequestStatus
from careloop.synth import codes
from careloop.synth.codes import CONDITION_INDEX, CONDITIONS, MEDICINE_KEYS, MEDICINES, SOCIAL_NEEDS, ConditionSpec
from careloop.synth.demographics import DAYS_PER_YEAR, People
from careloop.synth.draw import Bools, Floats, Ints, between, chance, days, liability, lookup, pick, pick_rows
from careloop.synth.frames import SECONDS_PER_DAY, Frame, arrange, public_ids
from careloop.synth.writer import IdAllocator

_MIDPOINTS = np.array(codes.AGE_BAND_MIDPOINTS)
_CHARLSON_KEYS = tuple(codes.CHARLSON_WEIGHTS)
# All condition variants in one list; a (condition, variant) pair is VARIANT_OFFSET[condition] + variant.
ALL_VARIANTS = [code for spec in CONDITIONS for code in spec.variants]
VARIANT_OFFSET = np.cumsum([0] + [len(spec.variants) for spec in CONDITIONS])[:-1]


@dataclass(frozen=True)
class Conditions:
    has: Bools  # patients x CONDITIONS
    variant: Ints  # patients x CONDITIONS, -1 where absent
    remission: Bools  # patients x CONDITIONS
    social: Bools  # patients x SOCIAL_NEEDS
    charlson: Ints  # Charlson 1987 score without age points
    frailty: Floats  # the shared liability, reused for utilisation and mortality

    def present(self, key: str) -> Bools:
        return self.has[:, CONDITION_INDEX[key]]

    def active(self, key: str) -> Bools:
        i = CONDITION_INDEX[key]
        return self.has[:, i] & ~self.remission[:, i]

    def variant_of(self, key: str) -> Ints:
        return self.variant[:, CONDITION_INDEX[key]]

    @property
    def any_social_need(self) -> Bools:
        return np.asarray(self.social.any(axis=1), dtype=np.bool_)


def draw_conditions(rng: np.random.Generator, who: People) -> Conditions:
    n = who.n
    frailty = rng.standard_normal(n)
    cardiometabolic = rng.standard_normal(n)
    has = np.zeros((n, len(CONDITIONS)), dtype=bool)
    variant = np.full((n, len(CONDITIONS)), -1, dtype=np.int64)
    remission = np.zeros_like(has)
    for i, spec in enumerate(CONDITIONS):
        if spec.parent is None:
            shared = ((spec.frailty, frailty), (spec.cardiometabolic, cardiometabolic))
            has[:, i] = liability(rng, _prevalence(spec, who), shared)
        else:
            parent = CONDITION_INDEX[spec.parent]
            has[:, i] = has[:, parent] & ~remission[:, parent] & chance(rng, spec.share, n)
        variant[:, i] = np.where(has[:, i], _variants(rng, spec, who.female), -1)
        remission[:, i] = has[:, i] & chance(rng, spec.remission, n)
    social = _social_needs(rng, who)
    return Conditions(has, variant, remission, social, _charlson(has, variant), frailty)


def _prevalence(spec: ConditionSpec, who: People) -> Floats:
    by_age = np.interp(who.age, _MIDPOINTS, np.array(spec.prevalence))
    return np.asarray(np.clip(by_age * np.where(who.female, spec.female, spec.male), 0.0, 0.95), dtype=np.float64)


def _variants(rng: np.random.Generator, spec: ConditionSpec, female: Bools) -> Ints:
    if len(spec.variants) == 1:
        return np.zeros(len(female), dtype=np.int64)
    women = np.array(spec.weights_female or [1.0] * len(spec.variants))
    men = np.array(spec.weights_male or women)
    return pick_rows(rng, np.where(female[:, None], women, men))


def _charlson(has: Bools, variant: Ints) -> Ints:
    """Charlson 1987 score from the Quan categories of the codes drawn, with the 'assign0' hierarchy."""
    category = np.zeros((len(has), len(_CHARLSON_KEYS)), dtype=bool)
    for i, spec in enumerate(CONDITIONS):
        for v, code in enumerate(spec.variants):
            if code.charlson is not None:
                category[:, _CHARLSON_KEYS.index(code.charlson)] |= has[:, i] & (variant[:, i] == v)
    for graver, milder in codes.CHARLSON_HIERARCHY.items():
        category[:, _CHARLSON_KEYS.index(milder)] &= ~category[:, _CHARLSON_KEYS.index(graver)]
    weights = np.array([codes.CHARLSON_WEIGHTS[k] for k in _CHARLSON_KEYS])
    return np.asarray((category * weights).sum(axis=1), dtype=np.int64)


def _social_needs(rng: np.random.Generator, who: People) -> Bools:
    """Needs cluster through a shared hardship liability; younger adults and people who prefer another
    language report more of them (AHC screening data); living alone is recorded for older patients only."""
    hardship = rng.standard_normal(who.n)
    tilt = np.where(who.age < 65, 1.25, 0.8) * np.where(who.language != "en", 1.3, 1.0)
    social = np.zeros((who.n, len(SOCIAL_NEEDS)), dtype=bool)
    for i, need in enumerate(SOCIAL_NEEDS):
        if need.key == "lives_alone":
            social[:, i] = (who.age >= codes.LIVES_ALONE_MIN_AGE) & chance(rng, need.prevalence, who.n)
        else:
            social[:, i] = liability(rng, np.clip(need.prevalence * tilt, 0, 0.9), ((0.7, hardship),))
    return social


def condition_frame(rng: np.random.Generator, who: People, found: Conditions, patient_ids: Ints,
                    allocator: IdAllocator) -> Frame:
    owner, spec_index = np.nonzero(found.has)
    need_owner, need_index = np.nonzero(found.social)
    rows = len(owner) + len(need_owner)
    everyone = np.concatenate([owner, need_owner])
    onset = _onset_days(rng, who, everyone, rows)
    position = VARIANT_OFFSET[spec_index] + found.variant[owner, spec_index]
    chronic = ALL_VARIANTS
    needs = [need.code for need in SOCIAL_NEEDS]
    return arrange({
        "id": allocator.take("conditions", rows),
        "public_id": public_ids(rng, rows, who.minted_ms),
        "patient_id": patient_ids[np.concatenate([owner, need_owner])],
        "encounter_id": np.full(rows, -1, dtype=np.int64),
        "code_system": np.full(rows, "snomed"),
        "code": np.concatenate([lookup([c.snomed for c in chronic], position),
                                lookup([c.snomed for c in needs], need_index)]),
        "display": np.concatenate([lookup([c.display for c in chronic], position),
                                   lookup([c.display for c in needs], need_index)]),
        "icd10": np.concatenate([lookup([c.icd10 for c in chronic], position),
                                 lookup([c.icd10 for c in needs], need_index)]),
        "category": np.concatenate([np.full(len(owner), ConditionCategory.problem_list_item.value),
                                    np.full(len(need_owner), ConditionCategory.health_concern.value)]),
        "clinical_status": np.concatenate([
            np.where(found.remission[owner, spec_index], ConditionClinicalStatus.remission.value,
                     ConditionClinicalStatus.active.value),
            np.full(len(need_owner), ConditionClinicalStatus.active.value)]),
        "verification_status": np.full(rows, "confirmed"),
        "onset_date": onset.astype("datetime64[D]"),
        "abatement_date": np.full(rows, np.datetime64("NaT"), dtype="datetime64[D]"),
        "recorded_at": _recorded(rng, who, everyone, onset, rows).astype("datetime64[s]"),
    }, "icd10")


def _onset_days(rng: np.random.Generator, who: People, owner: Ints, rows: int) -> Ints:
    """Onset at an adult age within the 25 years before the record ends (chronic conditions are diagnosed
    over decades)."""
    age = who.age[owner] - (who.as_of - who.until[owner]) / (DAYS_PER_YEAR * SECONDS_PER_DAY)
    earliest = np.maximum(18.0, age - 25.0)
    onset_age = earliest + rng.random(rows) * np.maximum(age - 0.1 - earliest, 0.05)
    return who.birth_day[owner] + np.round(onset_age * DAYS_PER_YEAR).astype(np.int64)


def _recorded(rng: np.random.Generator, who: People, owner: Ints, onset: Ints, rows: int) -> Ints:
    recorded = onset * SECONDS_PER_DAY + between(rng, days(0), days(60), rows) + between(rng, 8 * 3600,
                                                                                       17 * 3600, rows)
    return np.asarray(np.minimum(recorded, who.until[owner] - days(1)), dtype=np.int64)


@dataclass(frozen=True)
class Medicines:
    prescribed: Bools  # patients x MEDICINE_KEYS
    active_count: Ints  # active prescriptions per patient (polypharmacy draws a pharmacist in)
    frame_parts: tuple[Ints, Ints, NDArray[np.str_]]  # owner, medicine index, status


def draw_medicines(rng: np.random.Generator, found: Conditions, deceased: Bools) -> Medicines:
    n = len(found.has)
    prescribed = np.zeros((n, len(MEDICINE_KEYS)), dtype=bool)
    for rule in codes.MEDICINE_RULES:
        eligible = found.active(rule.condition)
        if rule.variants:
            eligible &= np.isin(found.variant_of(rule.condition), rule.variants)
        prescribed[:, MEDICINE_KEYS.index(rule.medicine)] |= eligible & chance(rng, rule.p, n)
    owner, medicine = np.nonzero(prescribed)
    statuses = [MedicationRequestStatus.active, MedicationRequestStatus.on_hold, MedicationRequestStatus.stopped,
                MedicationRequestStatus.completed]
    status = lookup([s.value for s in statuses], pick(rng, (0.90, 0.02, 0.05, 0.03), len(owner)))
    status = np.where(deceased[owner], MedicationRequestStatus.stopped.value, status)
    active_count = np.bincount(owner[status == "active"], minlength=n).astype(np.int64)
    return Medicines(prescribed, active_count, (owner, medicine, status))


def medication_frame(rng: np.random.Generator, who: People, meds: Medicines, patient_ids: Ints,
                     prescriber: NDArray[np.str_], allocator: IdAllocator) -> Frame:
    owner, medicine, status = meds.frame_parts
    rows = len(owner)
    adult_from = (who.birth_day[owner] + int(18 * DAYS_PER_YEAR)) * SECONDS_PER_DAY
    authored = np.maximum(who.until[owner] - between(rng, days(14), days(1100), rows), adult_from)
    authored += between(rng, 8 * 3600, 17 * 3600, rows) - authored % SECONDS_PER_DAY
    return arrange({
        "id": allocator.take("medication_requests", rows),
        "public_id": public_ids(rng, rows, who.minted_ms),
        "patient_id": patient_ids[owner],
        "rxnorm": lookup([MEDICINES[k].rxnorm for k in MEDICINE_KEYS], medicine),
        "display": lookup([MEDICINES[k].display for k in MEDICINE_KEYS], medicine),
        "status": status,
        "intent": np.full(rows, "order"),
        "dosage_text": lookup([MEDICINES[k].dosage for k in MEDICINE_KEYS], medicine),
        "authored_on": authored.astype("datetime64[s]"),
        "prescriber": prescriber[owner],
    }, "patient_id", "status")
