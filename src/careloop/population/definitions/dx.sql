-- name: dx
-- title: Diagnoses that count towards risk scores, codes normalised
-- kind: intermediate
-- source: careloop conditions (ICD-10-CM in conditions.icd10, whatever the source system)
-- version: 1
-- period: conditions on the as-of date that are not inactive, resolved, refuted or entered in error
-- depends:
-- Codes are normalised again here (dots stripped, upper case, blanks trimmed) so that rows written before
-- normalisation at the edge, or by another system, still count.
SELECT DISTINCT
    c.patient_id,
    upper(replace(trim(c.icd10), '.', '')) AS code,
    coalesce(c.onset_date, CAST(c.recorded_at AS DATE)) AS known_on
FROM src_conditions c
CROSS JOIN params p
WHERE c.icd10 IS NOT NULL
  AND c.clinical_status IN ('active', 'recurrence', 'relapse', 'remission')
  AND c.verification_status NOT IN ('refuted', 'entered-in-error')
  AND coalesce(c.onset_date, CAST(c.recorded_at AS DATE)) <= p.as_of
