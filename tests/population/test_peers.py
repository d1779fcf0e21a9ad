"""The scores equal their peer implementations for every patient of a generated population of 10,000,
computed end to end (seeded into the real database, streamed into DuckDB, written back, read here):
Charlson equals comorbidipy's (Quan 2005 ICD-10 mapping; Quan 2011 and Charlson 1987 weights; hierarchy;
age-adjusted) and CMS-HCC V28 and V24 equal hccpy's risk_score to 4 decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from careloop import db
from careloop.access import system_actor
from careloop.models import Condition, Patient, PatientResult
from careloop.population.runner import run_population
from careloop.synth.generator import seed_population
from tests.population.peers import comorbidipy_comorbidity

AS_OF = date(2026, 3, 2)
PATIENTS = 10_000


@pytest.fixture(scope="module")
def scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    seed_population(db.engine(), patients=PATIENTS, seed=2026, as_of=datetime(2026, 3, 2, tzinfo=UTC))
    summary = run_population(system_actor(), as_of=AS_OF)
    with db.unit_of_work() as session:
        ours = pd.DataFrame(session.execute(select(
            PatientResult.patient_id, PatientResult.age, PatientResult.charlson_quan2011,
            PatientResult.charlson_1987, PatientResult.charlson_age_adjusted, PatientResult.hcc_segment,
            PatientResult.hcc_v28, PatientResult.hcc_v24, Patient.gender,
        ).join(Patient, Patient.id == PatientResult.patient_id).where(PatientResult.run_id == summary.run_id)).all())
        # The same diagnoses the definition reads (dx.sql): not inactive, resolved, refuted or in error.
        codes = pd.DataFrame(session.execute(select(Condition.patient_id, Condition.icd10).where(
            Condition.icd10.is_not(None),
            Condition.clinical_status.in_(["active", "recurrence", "relapse", "remission"]),
            Condition.verification_status.not_in(["refuted", "entered-in-error"]),
        )).all(), columns=["patient_id", "code"])
    return ours, codes


def _peer(ours: pd.DataFrame, codes: pd.DataFrame, weighting: str) -> pd.DataFrame:
    frame = codes.merge(ours[["patient_id", "age"]], on="patient_id").rename(columns={"patient_id": "id"})
    frame["code"] = frame["code"].str.replace(".", "", regex=False).str.upper()  # comorbidipy misses dots
    # comorbidipy 0.5.0 deduplicates on a column literally named "id", whatever `id` names.
    peer = comorbidipy_comorbidity()(frame, id="id", code="code", age="age", score="charlson",
                                      icd="icd10", variant="quan", weighting=weighting, assign0=True)
    peer = peer.rename(columns={"id": "patient_id"})
    return peer[["patient_id", "comorbidity_score", "age_adj_comorbidity_score"]]


def _compare(ours: pd.DataFrame, peer: pd.DataFrame) -> pd.DataFrame:
    merged = ours.merge(peer, on="patient_id", how="left")
    # comorbidipy lists only patients with a code; everyone else scores 0 (and age points alone).
    merged["comorbidity_score"] = merged["comorbidity_score"].fillna(0)
    return merged


def test_population_is_large_enough(scored: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, codes = scored
    assert len(ours) >= 9_500  # 10,000 seeded, less the deceased
    assert codes["patient_id"].nunique() > 3_000


def test_quan_2011_weights_equal_comorbidipy_for_every_patient(scored: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, codes = scored
    merged = _compare(ours, _peer(ours, codes, "quan"))
    differ = merged[merged["charlson_quan2011"] != merged["comorbidity_score"]]
    assert differ.empty, differ.head(10).to_string()


def test_1987_weights_and_age_adjusted_equal_comorbidipy(scored: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, codes = scored
    merged = _compare(ours, _peer(ours, codes, "charlson"))
    differ = merged[merged["charlson_1987"] != merged["comorbidity_score"]]
    assert differ.empty, differ.head(10).to_string()
    with_codes = merged[merged["age_adj_comorbidity_score"].notna()]
    differ = with_codes[with_codes["charlson_age_adjusted"] != with_codes["age_adj_comorbidity_score"]]
    assert differ.empty, differ.head(10).to_string()
    assert merged["charlson_quan2011"].sum() > 0


@pytest.mark.parametrize("model", ["28", "24"])
def test_hcc_equals_hccpy_to_4_decimals_for_every_patient(scored: tuple[pd.DataFrame, pd.DataFrame],
                                                          model: str) -> None:
    from hccpy.hcc import HCCEngine

    ours, codes = scored
    by_patient = codes.groupby("patient_id")["code"].apply(list).to_dict()
    hcc = HCCEngine(model)
    column = f"hcc_v{model}"
    differ = []
    for row in ours.itertuples():
        # The segment careloop assigns: aged (CNA, old-age entitlement) from 65, else disabled (CND).
        orec = "0" if row.hcc_segment == "CNA" else "1"
        sex = "M" if row.gender == "male" else "F"
        peer = hcc.profile(by_patient.get(row.patient_id, []), age=row.age, sex=sex, elig=row.hcc_segment,
                           orec=orec)["risk_score"]
        if round(getattr(row, column), 4) != round(peer, 4):
            differ.append((row.patient_id, getattr(row, column), peer))
    assert differ == [], differ[:10]
    assert ours[column].gt(0).all()
