-- name: charlson_categories
-- title: Charlson comorbidity categories found in each patient's diagnoses, with the code and date that showed each first
-- kind: intermediate
-- source: Quan H et al. Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data. Med Care 2005;43(11):1130-9 (ICD-10 Charlson algorithm, data/charlson_quan2005_icd10.csv)
-- version: quan2005-icd10.2
-- period: every condition on the as-of date that is not inactive, resolved, refuted or entered in error
-- depends: dx, charlson_code_categories
-- A category is listed once per patient, with the earliest date it was known and the code that showed it
-- first (LACE counts the categories known by each discharge; the evidence shows the code and date).
SELECT d.patient_id, cc.category,
       arg_min(d.code, (d.known_on, d.code)) AS code,
       min(d.known_on) AS known_on
FROM dx d
JOIN charlson_code_categories cc ON cc.code = d.code
GROUP BY d.patient_id, cc.category
