-- name: charlson_categories
-- title: Charlson comorbidity categories found in each patient's diagnoses
-- kind: intermediate
-- source: Quan H et al. Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data. Med Care 2005;43(11):1130-9 (ICD-10 Charlson algorithm, data/charlson_quan2005_icd10.csv)
-- version: quan2005-icd10.1
-- period: every condition on the as-of date that is not inactive, resolved, refuted or entered in error
-- depends: dx
-- Codes are matched by prefix. The prefixes are 3 or 4 characters long, so two equality joins on the code's
-- first 3 and first 4 characters replace a LIKE join (which no engine can hash). A category is listed once
-- per patient, with the earliest date it was known and the code that showed it first.
WITH hits AS (
    SELECT d.patient_id, m.category, d.code, d.known_on
    FROM dx d JOIN ref_charlson_codes m ON m.prefix = substr(d.code, 1, 3)
    UNION ALL
    SELECT d.patient_id, m.category, d.code, d.known_on
    FROM dx d JOIN ref_charlson_codes m ON m.prefix = substr(d.code, 1, 4)
),
ranked AS (
    SELECT patient_id, category, code, known_on,
           row_number() OVER (PARTITION BY patient_id, category ORDER BY known_on, code) AS rn
    FROM hits
)
SELECT patient_id, category, code, known_on
FROM ranked
WHERE rn = 1
