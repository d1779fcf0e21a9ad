"""Encounters over the year before as_of: office, virtual and home visits, ED visits, hospital stays
with 30-day readmissions, a few patients in hospital now, and planned visits ahead.

Rates rise with the Charlson score, age and frailty. With the default population (mean age about 62,
mean Charlson about 1) they come to roughly 3 office visits, 0.4 ED visits and 0.2 admissions per patient
per year, and about 15% of stays are followed by a readmission within 30 days: near the Medicare figures
(MedPAC data book 2023: about 0.25 inpatient stays per beneficiary-year, 30-day readmissions 15-17%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from careloop.models.encounter import EncounterClass, EncounterStatus
from careloop.synth import codes, people
from careloop.synth.clinical import ALL_VARIANTS, VARIANT_OFFSET, Conditions
from careloop.synth.codes import CONDITION_INDEX, EXACERBATIONS
from careloop.synth.demographics import People
from careloop.synth.draw import Bools, Floats, Ints, between, chance, days, in_chunks_of, lookup, pick
from careloop.synth.frames import NULL_INT, SECONDS_PER_DAY, Frame, arrange, concat, public_ids
from careloop.synth.writer import IdAllocator

WINDOW_DAYS = 365  # a year of history: what the 12-month look-backs of readmission scores read
HOUR = 3600
# The condition an office visit is most likely about, most pressing first.
VISIT_FOCUS = ("heart_failure", "copd", "ckd", "diabetes", "cancer", "dementia", "atrial_fibrillation",
               "hypertension", "depression", "asthma", "hyperlipidemia", "osteoporosis", "anxiety")
HOME_HEALTH_AGENCY = "Lake County Home Health"


@dataclass(frozen=True)
class Encounters:
    frame: Frame
    owner: Ints  # patient index of each encounter
    start: Ints  # seconds
    end: Ints  # seconds, NULL_INT while open or planned
    last_discharge: Ints  # per patient: end of the latest finished hospital stay, NULL_INT for none

    def where(self, class_code: EncounterClass, status: EncounterStatus) -> Ints:
        return np.flatnonzero((self.frame["class_code"] == class_code.value) &
                              (self.frame["status"] == status.value))


@dataclass(frozen=True)
class _Context:
    rng: np.random.Generator
    who: People
    found: Conditions
    region: Ints
    first: int  # window start, seconds
    last: Ints  # per patient: as_of, or the moment of death
    years: Floats  # per patient: length of the window in years


def draw_encounters(rng: np.random.Generator, who: People, found: Conditions, region: Ints, deceased: Bools,
                    deceased_at: Ints, patient_ids: Ints, allocator: IdAllocator) -> Encounters:
    first = who.as_of - days(WINDOW_DAYS)
    last = np.where(deceased, deceased_at, who.as_of)
    ctx = _Context(rng, who, found, region, first, last, (last - first) / (365.25 * SECONDS_PER_DAY))
    stays = _hospital_stays(ctx, deceased)
    parts = [_office_visits(ctx), _ed_visits(ctx), _ed_before(ctx, stays), stays, _planned_visits(ctx, deceased)]
    # In the order of the (class_code, period_end) index, before anything refers to rows by position.
    rows = arrange(concat(parts), "class_code", "end")
    owner, start, end = rows.pop("owner"), rows.pop("start"), rows.pop("end")
    k = len(owner)
    frame = {
        "id": allocator.take("encounters", k),
        "public_id": public_ids(rng, k, who.minted_ms),
        "patient_id": patient_ids[owner],
        **rows,
        "period_start": start.astype("datetime64[s]"),
        "period_end": np.where(end >= 0, end.astype("datetime64[s]"), np.datetime64("NaT", "s")),
    }
    return Encounters(frame, owner, start, end, _last_discharge(who.n, owner, frame, end))


def _last_discharge(n: int, owner: Ints, frame: Frame, end: Ints) -> Ints:
    finished = (frame["class_code"] == EncounterClass.inpatient.value) & (
        frame["status"] == EncounterStatus.finished.value)
    last = np.full(n, NULL_INT, dtype=np.int64)
    np.maximum.at(last, owner[finished], end[finished])
    return last


def _counts(ctx: _Context, per_year: Floats, cap: int) -> Ints:
    return np.minimum(ctx.rng.poisson(per_year * ctx.years), cap).astype(np.int64)


def _frailty_excess(ctx: _Context) -> Floats:
    return np.clip(ctx.found.frailty, 0, None)


def _rows(ctx: _Context, owner: Ints, start: Ints, end: Ints, cls: NDArray[np.str_] | str,
          status: NDArray[np.str_] | str, kind: codes.EncounterType | tuple[NDArray[np.str_], NDArray[np.str_]],
          facility: NDArray[np.str_], location: NDArray[np.str_] | None, reason: tuple[NDArray[np.str_], ...],
          disposition: NDArray[np.str_] | None = None) -> Frame:
    k = len(owner)
    type_code, type_display = (np.full(k, kind.snomed), np.full(k, kind.display)) \
        if isinstance(kind, codes.EncounterType) else kind
    return {
        "owner": owner, "start": start, "end": end,
        "status": np.broadcast_to(np.asarray(status, dtype=np.str_), (k,)).copy(),
        "class_code": np.broadcast_to(np.asarray(cls, dtype=np.str_), (k,)).copy(),
        "type_code": type_code, "type_display": type_display,
        "facility": facility,
        "location": location if location is not None else np.full(k, ""),
        "reason_code": reason[0], "reason_display": reason[1],
        "discharge_disposition": disposition if disposition is not None else np.full(k, ""),
    }


def _clinic_time(ctx: _Context, day_start: Ints) -> Ints:
    """Office hours: 08:00 to 16:40 in 20-minute slots (times are UTC; CARELOOP_TIMEZONE shifts the display)."""
    slot = between(ctx.rng, 0, 27, len(day_start))
    return day_start - day_start % SECONDS_PER_DAY + 8 * HOUR + slot * 1200


def _office_visits(ctx: _Context) -> Frame:
    who, found, rng = ctx.who, ctx.found, ctx.rng
    per_year = 1.7 + 0.7 * found.charlson + 0.5 * (who.age >= 65) + 0.3 * _frailty_excess(ctx)
    owner = in_chunks_of(_counts(ctx, per_year, 30))
    k = len(owner)
    start = np.minimum(_clinic_time(ctx, between(rng, ctx.first, ctx.last[owner], k)), ctx.last[owner] - HOUR)
    home = (who.age[owner] >= 80) & chance(rng, 0.15, k)
    virtual = ~home & chance(rng, 0.10, k)
    cls = np.select([home, virtual], [EncounterClass.home_health.value, EncounterClass.virtual.value],
                    EncounterClass.ambulatory.value)
    kinds = (codes.CHECK_UP, codes.PROBLEM_VISIT, codes.FOLLOW_UP)
    kind = pick(rng, (0.3, 0.45, 0.25), k)
    type_code = np.where(home, codes.HOME_VISIT.snomed, lookup([t.snomed for t in kinds], kind))
    type_display = np.where(home, codes.HOME_VISIT.display, lookup([t.display for t in kinds], kind))
    minutes = np.select([home, virtual], [between(rng, 45, 75, k), between(rng, 15, 25, k)], between(rng, 20, 45, k))
    facility = np.where(home, HOME_HEALTH_AGENCY, _clinics(ctx.region[owner]))
    focus = _visit_focus(found)
    use_focus = (focus[0][owner] != "") & chance(rng, 0.7, k)
    reason = (np.where(use_focus, focus[0][owner], codes.GENERAL_EXAM[0]),
              np.where(use_focus, focus[1][owner], codes.GENERAL_EXAM[1]))
    return _rows(ctx, owner, start, start + minutes * 60, cls, EncounterStatus.finished.value,
                 (type_code, type_display), facility, None, reason)


def _clinics(region: Ints) -> NDArray[np.str_]:
    return lookup([f"{r} Clinic" for r in people.REGIONS], region)


def _visit_focus(found: Conditions) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Per patient, the ICD-10 code and display of their most pressing active condition ('' for none)."""
    n = len(found.has)
    code, display = np.full(n, "", dtype="<U16"), np.full(n, "", dtype="<U80")
    for key in reversed(VISIT_FOCUS):
        active = found.active(key)
        position = VARIANT_OFFSET[CONDITION_INDEX[key]] + np.maximum(found.variant_of(key), 0)
        code = np.where(active, lookup([c.icd10 for c in ALL_VARIANTS], position), code)
        display = np.where(active, lookup([c.display for c in ALL_VARIANTS], position), display)
    return code, display


def _acute_reasons(ctx: _Context, owner: Ints) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """The exacerbation of a chronic condition the patient has (60%), else a common acute reason."""
    n, k = ctx.who.n, len(owner)
    driver = np.full(n, -1, dtype=np.int64)
    for i, key in reversed(list(enumerate(EXACERBATIONS))):
        driver = np.where(ctx.found.active(key), i, driver)
    chosen = driver[owner]
    use_driver = (chosen >= 0) & chance(ctx.rng, 0.6, k)
    generic = pick(ctx.rng, [1] * len(codes.ACUTE_REASONS), k)
    exacerbations = list(EXACERBATIONS.values())
    code = np.where(use_driver, lookup([c for c, _ in exacerbations], np.maximum(chosen, 0)),
                    lookup([c for c, _ in codes.ACUTE_REASONS], generic))
    display = np.where(use_driver, lookup([d for _, d in exacerbations], np.maximum(chosen, 0)),
                       lookup([d for _, d in codes.ACUTE_REASONS], generic))
    return code, display


def _hospitals(ctx: _Context, owner: Ints) -> NDArray[np.str_]:
    """Mostly the hospital nearest the patient's clinic region, sometimes another."""
    k = len(owner)
    usual = ctx.region[owner] % len(codes.HOSPITALS)
    other = between(ctx.rng, 0, len(codes.HOSPITALS), k)
    return lookup(codes.HOSPITALS, np.where(chance(ctx.rng, 0.2, k), other, usual))


def _length_of_stay(rng: np.random.Generator, k: int) -> Ints:
    """Log-normal, median about 3.3 days, mean about 4.5 (HCUP: mean adult stay 4.5-5 days)."""
    hours = np.exp(rng.normal(np.log(80.0), 0.75, k))
    return (np.clip(hours, 12, 24 * 30) * HOUR).astype(np.int64)


def _hospital_stays(ctx: _Context, deceased: Bools) -> Frame:
    who, found, rng = ctx.who, ctx.found, ctx.rng
    per_year = 0.04 + 0.09 * found.charlson + 0.04 * (who.age >= 75) + 0.05 * _frailty_excess(ctx)
    owner = in_chunks_of(_counts(ctx, per_year, 8))
    start = between(rng, ctx.first, ctx.last[owner] - HOUR, len(owner))
    end = start + _length_of_stay(rng, len(owner))
    keep = ~deceased[owner] | (end < ctx.last[owner])
    owner, start, end = owner[keep], start[keep], end[keep]
    readmit = (end < ctx.last[owner]) & chance(rng, np.minimum(0.10 + 0.03 * found.charlson[owner], 0.35))
    again_owner = owner[readmit]
    again_start = end[readmit] + between(rng, days(1), days(30), len(again_owner))
    again_end = again_start + _length_of_stay(rng, len(again_owner))
    kept = (again_start < ctx.last[again_owner]) & (~deceased[again_owner] | (again_end < ctx.last[again_owner]))
    owner = np.concatenate([owner, again_owner[kept]])
    start = np.concatenate([start, again_start[kept]])
    end = np.concatenate([end, again_end[kept]])
    died = np.flatnonzero(deceased & chance(rng, 0.4, who.n))
    died_stay = _length_of_stay(rng, len(died))
    return _stay_rows(ctx, np.concatenate([owner, died]), np.concatenate([start, ctx.last[died] - died_stay]),
                      np.concatenate([end, ctx.last[died]]), np.concatenate([np.zeros(len(owner), bool),
                                                                            np.ones(len(died), bool)]))


def _stay_rows(ctx: _Context, owner: Ints, start: Ints, end: Ints, died: Bools) -> Frame:
    rng, k = ctx.rng, len(owner)
    ongoing = end > ctx.who.as_of
    older = ctx.who.age[owner] >= 75
    disposition = np.where(older, lookup(codes.DISPOSITIONS, pick(rng, codes.DISPOSITION_WEIGHTS_OLDER, k)),
                           lookup(codes.DISPOSITIONS, pick(rng, codes.DISPOSITION_WEIGHTS_YOUNGER, k)))
    disposition = np.select([died, ongoing], ["exp", ""], disposition)
    unit = lookup(codes.INPATIENT_UNITS, pick(rng, [1] * len(codes.INPATIENT_UNITS), k))
    location = np.strings.add(np.strings.add(unit, ", room "), between(rng, 401, 660, k).astype(np.str_))
    status = np.where(ongoing, EncounterStatus.in_progress.value, EncounterStatus.finished.value)
    return _rows(ctx, owner, start, np.where(ongoing, NULL_INT, end), EncounterClass.inpatient.value, status,
                 codes.ADMISSION, _hospitals(ctx, owner), location, _acute_reasons(ctx, owner), disposition)


def _ed_visits(ctx: _Context) -> Frame:
    who, found, rng = ctx.who, ctx.found, ctx.rng
    per_year = 0.12 + 0.12 * found.charlson + 0.25 * found.any_social_need + 0.1 * (who.age >= 80)
    owner = in_chunks_of(_counts(ctx, per_year, 12))
    start = between(rng, ctx.first, ctx.last[owner] - 8 * HOUR, len(owner))
    return _ed_rows(ctx, owner, start, start + between(rng, 2 * HOUR, 8 * HOUR, len(owner)))


def _ed_before(ctx: _Context, stays: Frame) -> Frame:
    """Two thirds of admissions come through the ED: a visit that ends when the stay begins."""
    emergent = chance(ctx.rng, 0.65, len(stays["owner"]))
    owner, admitted = stays["owner"][emergent], stays["start"][emergent]
    start = admitted - between(ctx.rng, 2 * HOUR, 8 * HOUR, len(owner))
    ed = _ed_rows(ctx, owner, start, admitted)
    ed["reason_code"], ed["reason_display"] = stays["reason_code"][emergent], stays["reason_display"][emergent]
    return ed


def _ed_rows(ctx: _Context, owner: Ints, start: Ints, end: Ints) -> Frame:
    bay = np.strings.add("ED bay ", between(ctx.rng, 1, 25, len(owner)).astype(np.str_))
    return _rows(ctx, owner, start, end, EncounterClass.emergency.value, EncounterStatus.finished.value,
                 codes.ED_VISIT, _hospitals(ctx, owner), bay, _acute_reasons(ctx, owner))


def _planned_visits(ctx: _Context, deceased: Bools) -> Frame:
    """Most living patients have a visit booked in the next two months, so 'next encounter' shows."""
    rng, n = ctx.rng, ctx.who.n
    count = np.where(deceased, 0, chance(rng, 0.55, n).astype(np.int64) + chance(rng, 0.12, n))
    owner = in_chunks_of(count)
    k = len(owner)
    start = _clinic_time(ctx, ctx.who.as_of + between(rng, days(1), days(60), k))
    focus = _visit_focus(ctx.found)
    reason = (np.where(focus[0][owner] != "", focus[0][owner], codes.GENERAL_EXAM[0]),
              np.where(focus[0][owner] != "", focus[1][owner], codes.GENERAL_EXAM[1]))
    return _rows(ctx, owner, start, np.full(k, NULL_INT, dtype=np.int64), EncounterClass.ambulatory.value,
                 EncounterStatus.planned.value, codes.FOLLOW_UP, _clinics(ctx.region[owner]), None, reason)
