-- name: dx
-- title: Diagnoses that count towards risk scores, codes normalised
-- kind: intermediate
-- source: careloop conditions (ICD-10-CM in conditions.icd10, whatever the source system)
-- version: 3
-- period: conditions on the as-of date that are not inactive, resolved, refuted or entered in error
-- depends:
-- The snapshot reads only the conditions that can count (snapshot.COUNTED_CONDITION: clinical status active,
-- recurrence, relapse or remission; not refuted or entered in error), each with the date it was known (its
-- onset, else the day it was recorded). Codes are normalised again here (dots stripped, upper case, blanks
-- trimmed) so that rows written before normalisation at the edge, or by another system, still count.
-- One row per patient and code, known since the earliest of its dates: a chronic condition is coded again at
-- every encounter that addresses it (about four diagnoses of ten), and every reader asks only whether, and
-- since when, the patient has had it.
SELECT
    c.patient_id,
    upper(replace(trim(c.icd10), '.', '')) AS code,
    min(c.known_on) AS known_on
FROM src_conditions c
CROSS JOIN params p
WHERE c.icd10 IS NOT NULL
  AND c.known_on <= p.as_of
GROUP BY c.patient_id, upper(replace(trim(c.icd10), '.', ''))
