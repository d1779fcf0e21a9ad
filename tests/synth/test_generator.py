"""The generator without a database: determinism, plausibility, codes, and encodings for both backends."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from careloop.models import Base
from careloop.synth import codes, people, staff, worklists
from careloop.synth.demographics import _mbi
from careloop.synth.draw import normal_quantile
from careloop.synth.frames import Frame, format_dates, format_timestamps, frame_length
from careloop.synth.generator import PATIENT_TABLES, chunk_rng, generate_chunk, plan_in_memory
from careloop.synth.writer import complete, encode
from tests.conftest import shared_data_dir

AS_OF = datetime(2026, 3, 2, tzinfo=UTC)


def _generate(seed: int, n: int) -> dict[str, Frame]:
    plan, allocator = plan_in_memory(seed, n, AS_OF)
    return generate_chunk(chunk_rng(seed, 1, 0), n, int(AS_OF.timestamp()), plan.pools, allocator)


@pytest.fixture(scope="module")
def population() -> dict[str, Frame]:
    return _generate(11, 6000)


def _equal(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind == "M":  # NaT is not equal to itself; its integer view is
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    return a.tolist() == b.tolist()


def _same(a: dict[str, Frame], b: dict[str, Frame]) -> bool:
    return a.keys() == b.keys() and all(
        a[t].keys() == b[t].keys() and all(_equal(a[t][c], b[t][c]) for c in a[t]) for t in a)


def test_same_seed_gives_the_same_frames() -> None:
    assert _same(_generate(5, 400), _generate(5, 400))


def test_another_seed_gives_other_people() -> None:
    first, second = _generate(5, 400), _generate(6, 400)
    assert not np.array_equal(first["patients"]["public_id"], second["patients"]["public_id"])
    assert not np.array_equal(first["patients"]["family"], second["patients"]["family"])


def test_frames_fit_their_tables(population: dict[str, Frame]) -> None:
    for table in PATIENT_TABLES:
        frame = complete(table, population[table])
        assert list(frame) == list(Base.metadata.tables[table].columns.keys())
        assert len({len(column) for column in frame.values()}) == 1, table


def test_frames_encode_for_both_backends(population: dict[str, Frame]) -> None:
    for table in PATIENT_TABLES:
        for dialect in ("sqlite", "postgresql"):
            batch = encode(dialect, table, population[table])
            assert batch.rows == frame_length(population[table])


def _ages(population: dict[str, Frame]) -> dict[int, float]:
    patients = population["patients"]
    birth = patients["birth_date"].astype("datetime64[D]").astype(np.int64)
    age = (AS_OF.date() - date(1970, 1, 1)).days - birth
    return dict(zip(patients["id"].tolist(), (age / 365.2425).tolist(), strict=True))


def _prevalence_by_band(population: dict[str, Frame], prefixes: tuple[str, ...],
                        bands: tuple[int, ...] = (18, 45, 65, 80, 200)) -> list[float]:
    ages = _ages(population)
    conditions = population["conditions"]
    has = {pid for pid, icd in zip(conditions["patient_id"].tolist(), conditions["icd10"].tolist(), strict=True)
           if icd.startswith(prefixes)}
    shares = []
    for low, high in itertools.pairwise(bands):
        members = [pid for pid, age in ages.items() if low <= age < high]
        shares.append(sum(pid in has for pid in members) / len(members))
    return shares


@pytest.mark.parametrize("prefixes", [("I10",), ("I50",), ("N18",), ("F03", "F01", "G30"), ("I25",), ("J44",)])
def test_prevalence_rises_with_age(population: dict[str, Frame], prefixes: tuple[str, ...]) -> None:
    shares = _prevalence_by_band(population, prefixes)
    assert shares == sorted(shares), (prefixes, shares)
    assert shares[-1] > shares[0]


def test_prevalence_near_the_cited_figures(population: dict[str, Frame]) -> None:
    """The 65-74 band against codes.py (CDC/CMS figures), within sampling noise and interpolation."""
    spec = {s.key: s for s in codes.CONDITIONS}
    for key, prefixes in (("hypertension", ("I10",)), ("diabetes", ("E11", "E10")), ("copd", ("J44",))):
        observed = _prevalence_by_band(population, prefixes, (65, 75))[0]
        assert observed == pytest.approx(spec[key].prevalence[2], rel=0.3), key


def test_diabetics_run_higher_hba1c(population: dict[str, Frame]) -> None:
    conditions, observations = population["conditions"], population["observations"]
    diabetic = set(conditions["patient_id"][np.char.startswith(conditions["icd10"], "E1")].tolist())
    a1c = observations["code"] == codes.HBA1C.code
    values = observations["value_num"][a1c]
    is_diabetic = np.isin(observations["patient_id"][a1c], list(diabetic))
    assert values[is_diabetic].mean() > 6.8 > values[~is_diabetic].mean()
    assert (values[is_diabetic] > 9).mean() > 0.05  # some uncontrolled


def test_sicker_patients_use_more_hospital_care(population: dict[str, Frame]) -> None:
    encounters, conditions = population["encounters"], population["conditions"]
    stays = encounters["patient_id"][encounters["class_code"] == "IMP"]
    burden = np.bincount(conditions["patient_id"], minlength=len(population["patients"]["id"]) + 1)
    sick = burden >= 3
    per_patient = np.bincount(stays, minlength=len(burden))
    assert per_patient[sick].mean() > 2 * per_patient[~sick][1:].mean()


def test_some_hospital_stays_are_followed_by_a_readmission(population: dict[str, Frame]) -> None:
    encounters = population["encounters"]
    stays = (encounters["class_code"] == "IMP") & ~np.isnat(encounters["period_end"])
    order = np.lexsort((encounters["period_start"][stays], encounters["patient_id"][stays]))
    patient = encounters["patient_id"][stays][order]
    start, end = encounters["period_start"][stays][order], encounters["period_end"][stays][order]
    gap = start[1:] - end[:-1]
    readmitted = (patient[1:] == patient[:-1]) & (gap >= np.timedelta64(0, "s")) & (gap <= np.timedelta64(30, "D"))
    assert 0.05 < readmitted.sum() / stays.sum() < 0.35


def test_inpatient_stays_have_a_discharge_disposition(population: dict[str, Frame]) -> None:
    encounters = population["encounters"]
    finished_stays = (encounters["class_code"] == "IMP") & (encounters["status"] == "finished")
    dispositions = set(encounters["discharge_disposition"][finished_stays].tolist())
    assert dispositions <= set(codes.DISPOSITIONS) | {"exp"}
    assert "" not in dispositions and {"home", "snf"} <= dispositions
    assert set(encounters["discharge_disposition"][~finished_stays].tolist()) == {""}


def test_social_needs_for_a_minority(population: dict[str, Frame]) -> None:
    conditions = population["conditions"]
    concerns = conditions["category"] == "health-concern"
    assert set(conditions["icd10"][concerns].tolist()) <= {n.code.icd10 for n in codes.SOCIAL_NEEDS}
    share = len(set(conditions["patient_id"][concerns].tolist())) / len(population["patients"]["id"])
    assert 0.15 < share < 0.35


def test_every_patient_has_a_care_manager_and_an_mrn(population: dict[str, Frame]) -> None:
    members, ids = population["care_team_members"], population["patient_identifiers"]
    managers = np.isin(members["role"], ["rn-care-manager", "care-coordinator"]) & np.isnat(members["period_end"])
    assert set(members["patient_id"][managers].tolist()) == set(population["patients"]["id"].tolist())
    mrn = ids["system"] == "urn:careloop:mrn"
    assert sorted(ids["patient_id"][mrn].tolist()) == sorted(population["patients"]["id"].tolist())


def test_task_history_follows_the_workflow(population: dict[str, Frame]) -> None:
    """Each task's events chain from 'created' to its current status, in id order."""
    tasks, events = population["tasks"], population["task_events"]
    status = dict(zip(tasks["id"].tolist(), tasks["status"].tolist(), strict=True))
    chains: dict[int, list[tuple[str, str, str]]] = {}
    for task_id, action, source, target in zip(events["task_id"].tolist(), events["action"].tolist(),
                                               events["from_status"].tolist(), events["to_status"].tolist(),
                                               strict=True):
        chains.setdefault(task_id, []).append((action, source, target))
    assert chains.keys() == status.keys()
    for task_id, chain in chains.items():
        assert chain[0][0] == "created" and chain[0][1] == ""
        assert all(prev[2] == step[1] for prev, step in itertools.pairwise(chain))
        assert chain[-1][2] == status[task_id]


def test_open_tasks_are_due_around_as_of(population: dict[str, Frame]) -> None:
    tasks = population["tasks"]
    open_ = np.isin(tasks["status"], ["ready", "requested", "received", "accepted", "in-progress", "on-hold"])
    due = tasks["due_at"][open_]
    as_of = np.datetime64(AS_OF.replace(tzinfo=None), "s")
    assert 0.1 < (due < as_of).mean() < 0.4  # some overdue
    assert np.isnat(due).mean() > 0.05  # some without a due date
    held = tasks["status"] == "on-hold"
    assert (tasks["resume_status"][held] != "").all() and (tasks["status_reason"][held] != "").all()


# --- codes -------------------------------------------------------------------------------------------------


def _charlson_map() -> dict[str, tuple[str, ...]]:
    folder = shared_data_dir()
    if folder is None:
        pytest.skip("../shared/data is absent: cannot check codes against the Quan 2005 Charlson map")
    table = {}
    for line in (folder / "reference" / "charlson_quan_icd10.txt").read_text().splitlines():
        if ":" in line:
            key, prefixes = line.split(":", 1)
            table[key.strip()] = tuple(prefixes.split())
    return table


def _all_codes() -> Iterator[codes.Code]:
    for spec in codes.CONDITIONS:
        yield from spec.variants
    for need in codes.SOCIAL_NEEDS:
        yield need.code


def test_condition_codes_are_normalised() -> None:
    for code in _all_codes():
        assert re.fullmatch(r"[A-Z][0-9][0-9A-Z]{1,5}", code.icd10), code
        assert re.fullmatch(r"[1-9][0-9]{5,17}", code.snomed), code


def test_charlson_conditions_fall_in_their_quan_category() -> None:
    quan = _charlson_map()
    for code in _all_codes():
        matching = {key for key, prefixes in quan.items() if code.icd10.startswith(prefixes)}
        assert matching == ({code.charlson} if code.charlson else set()), code


def _reasons() -> set[tuple[str, str, str]]:
    """An encounter's reason, coded in ICD-10-CM itself: (code, icd10, display)."""
    pairs = [codes.GENERAL_EXAM, *codes.EXACERBATIONS.values(), *codes.ACUTE_REASONS]
    pairs += [(c.icd10, c.display) for spec in codes.CONDITIONS for c in spec.variants]
    return {(code, code, display) for code, display in pairs}


def test_generated_conditions_use_only_listed_codes(population: dict[str, Frame]) -> None:
    listed = {(c.snomed, c.icd10, c.display) for c in _all_codes()}
    rows = population["conditions"]
    coded = set(zip(rows["code"].tolist(), rows["icd10"].tolist(), rows["display"].tolist(), strict=True))
    problem_list = rows["category"] != "encounter-diagnosis"
    assert set(zip(rows["code"][problem_list].tolist(), rows["icd10"][problem_list].tolist(),
                   rows["display"][problem_list].tolist(), strict=True)) <= listed
    assert coded <= listed | _reasons()
    for code in {c for c, _, _ in _reasons()}:
        assert re.fullmatch(r"[A-Z][0-9][0-9A-Z]{1,5}", code), code


def test_each_encounter_that_took_place_lists_its_reason_first_then_chronic_conditions(
        population: dict[str, Frame]) -> None:
    conditions, encounters = population["conditions"], population["encounters"]
    coded = conditions["category"] == "encounter-diagnosis"
    principal = coded & (conditions["code_system"] == "icd10cm")
    took_place = encounters["status"] != "planned"
    # One reason per encounter that took place, the encounter's own; none for a planned visit.
    assert sorted(conditions["encounter_id"][principal].tolist()) == sorted(encounters["id"][took_place].tolist())
    reason_of = dict(zip(encounters["id"].tolist(), encounters["reason_code"].tolist(), strict=True))
    assert all(reason_of[e] == code for e, code in zip(conditions["encounter_id"][principal].tolist(),
                                                       conditions["icd10"][principal].tolist(), strict=True))
    # Secondary diagnoses are chronic conditions on the patient's own problem list, never the reason again.
    secondary = coded & ~principal
    listed = set(zip(conditions["patient_id"][~coded].tolist(), conditions["icd10"][~coded].tolist(), strict=True))
    pairs = list(zip(conditions["patient_id"][secondary].tolist(), conditions["icd10"][secondary].tolist(),
                     strict=True))
    assert pairs and set(pairs) <= listed
    assert all(reason_of[e] != code for e, code in zip(conditions["encounter_id"][secondary].tolist(),
                                                       conditions["icd10"][secondary].tolist(), strict=True))
    # About ten diagnoses per patient, as the million (10M diagnoses) assumes.
    patients = frame_length(population["patients"])
    assert 7 <= frame_length(conditions) / patients <= 13


def test_observations_are_loinc_and_blood_pressure_is_a_panel(population: dict[str, Frame]) -> None:
    rows = population["observations"]
    assert set(rows["code"].tolist()) == {"8480-6", "8462-4", "29463-7", "4548-4", "2339-0", "2951-2", "718-7",
                                          "8867-4", "9279-1", "8310-5", "59408-5"}
    bp = np.isin(rows["code"], ["8480-6", "8462-4"])
    assert set(rows["panel_code"][bp].tolist()) == {"85354-9"} and set(rows["panel_code"][~bp].tolist()) == {""}
    assert (rows["code"] == "8480-6").sum() == (rows["code"] == "8462-4").sum()


def test_acute_care_vitals_belong_to_their_ed_visit_or_stay(population: dict[str, Frame]) -> None:
    rows, encounters = population["observations"], population["encounters"]
    class_of = dict(zip(encounters["id"].tolist(), encounters["class_code"].tolist(), strict=True))
    start_of = dict(zip(encounters["id"].tolist(), encounters["period_start"].tolist(), strict=True))
    spo2 = rows["code"] == "59408-5"
    settings = {class_of[e] for e in rows["encounter_id"][spo2].tolist()}
    assert {"EMER", "IMP"} <= settings
    assert all(at >= start_of[e] for e, at in zip(rows["encounter_id"][spo2].tolist(),
                                                  rows["effective_at"][spo2].tolist(), strict=True))
    # About twenty readings per patient, as the million (20M observations) assumes.
    assert 15 <= frame_length(rows) / frame_length(population["patients"]) <= 26


def test_medicines_follow_conditions(population: dict[str, Frame]) -> None:
    meds, conditions = population["medication_requests"], population["conditions"]
    insulin = set(meds["patient_id"][meds["rxnorm"] == codes.MEDICINES["insulin_glargine"].rxnorm].tolist())
    diabetic = set(conditions["patient_id"][np.char.startswith(conditions["icd10"], "E1")].tolist())
    assert insulin and insulin <= diabetic
    assert set(meds["rxnorm"].tolist()) <= {m.rxnorm for m in codes.MEDICINES.values()}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _strings(getattr(value, name))


def test_word_lists_are_safe_for_copy() -> None:
    """Nothing COPY's text format would read as an escape or a separator."""
    modules = (codes, people, staff, worklists)
    values = [getattr(m, name) for m in modules for name in dir(m) if name.isupper()]
    for text in _strings(values):
        assert not re.search(r"[\t\n\r\\]", text), text


# --- formatting helpers -------------------------------------------------------------------------------------


def test_timestamp_and_date_text_match_python() -> None:
    moments = [datetime(1970, 1, 1, tzinfo=UTC), datetime(2000, 2, 29, 23, 59, 59, tzinfo=UTC),
               datetime(2026, 12, 31, 7, 5, 9, tzinfo=UTC), datetime(1926, 6, 15, 12, tzinfo=UTC)]
    seconds = np.array([int(m.timestamp()) for m in moments])
    assert format_timestamps(seconds).tolist() == [m.strftime("%Y-%m-%d %H:%M:%S.000000") for m in moments]
    assert format_timestamps(seconds, utc_suffix=True)[1] == "2000-02-29 23:59:59.000000+00"
    days = np.array([(m.date() - date(1970, 1, 1)).days for m in moments])
    assert format_dates(days).tolist() == [m.date().isoformat() for m in moments]
    assert format_dates(np.array([-1])).tolist() == [(date(1970, 1, 1) - timedelta(days=1)).isoformat()]


def test_medicare_ids_are_well_formed_and_distinct() -> None:
    ids = _mbi(np.arange(1, 200_001, dtype=np.int64))
    assert len(set(ids.tolist())) == len(ids)
    pattern = r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]" \
              r"[AC-HJKMNP-RT-Y]{2}[0-9]{2}"
    assert all(re.fullmatch(pattern, value) for value in ids[:2000].tolist())


def test_normal_quantile_matches_the_standard_library() -> None:
    p = np.array([1e-6, 0.001, 0.02, 0.3, 0.5, 0.9, 0.999])
    expected = [NormalDist().inv_cdf(x) for x in p]
    assert np.allclose(normal_quantile(p), expected, atol=1e-8)


def test_nothing_is_dated_after_a_patients_death(population: dict[str, Frame]) -> None:
    patients = population["patients"]
    dead = ~np.isnat(patients["deceased_at"])
    assert 0.002 < dead.mean() < 0.05
    died = dict(zip(patients["id"][dead].tolist(), patients["deceased_at"][dead].tolist(), strict=True))
    for table, column in (("conditions", "recorded_at"), ("medication_requests", "authored_on"),
                          ("encounters", "period_start"), ("observations", "effective_at"),
                          ("tasks", "authored_on"), ("care_team_members", "period_start")):
        frame = population[table]
        for patient_id, moment in zip(frame["patient_id"].tolist(), frame[column].tolist(), strict=True):
            assert patient_id not in died or moment <= died[patient_id], (table, patient_id)
    open_tasks = np.isin(population["tasks"]["patient_id"], list(died)) & np.isin(
        population["tasks"]["status"], ["ready", "requested", "in-progress", "on-hold", "accepted", "received"])
    assert not open_tasks.any()


def test_task_owners_are_on_the_patients_care_team(population: dict[str, Frame]) -> None:
    """The rules the task service applies when assigning: a person or team must be on the care team, and a
    queued role must be held there by someone."""
    members, tasks = population["care_team_members"], population["tasks"]
    active = np.isnat(members["period_end"])
    patient, user, team, role = (members[c][active].tolist() for c in ("patient_id", "user_id", "team_id", "role"))
    by_user, by_team = set(zip(patient, user, strict=True)), set(zip(patient, team, strict=True))
    by_role = set(zip(patient, role, strict=True))
    open_ = ~np.isin(tasks["status"], ["completed", "cancelled", "failed"])
    for pid, owner, owner_team, owner_role in zip(*(tasks[c][open_].tolist() for c in (
            "patient_id", "owner_user_id", "owner_team_id", "owner_role")), strict=True):
        assert (owner >= 0) + (owner_team >= 0) + (owner_role != "") == 1
        assert owner < 0 or (pid, owner) in by_user
        assert owner_team < 0 or (pid, owner_team) in by_team
        assert owner_role == "" or (pid, owner_role) in by_role


def test_public_ids_are_version_7_and_rise_from_chunk_to_chunk() -> None:
    plan, allocator = plan_in_memory(3, 200, AS_OF)
    as_of = int(AS_OF.timestamp())
    first = generate_chunk(chunk_rng(3, 1, 0), 100, as_of, plan.pools, allocator)
    second = generate_chunk(chunk_rng(3, 1, 1), 100, as_of, plan.pools, allocator)
    for table in (t for t in PATIENT_TABLES if "public_id" in first[t]):
        ids = [uuid.UUID(value) for value in first[table]["public_id"].tolist()]
        assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids), table
        assert len(set(ids)) == len(ids)
        assert max(first[table]["public_id"].tolist()) < min(second[table]["public_id"].tolist()), table
