-- name: charlson_code_categories
-- title: The Charlson comorbidity category of each distinct diagnosis code in the population
-- kind: intermediate
-- source: Quan H et al. Coding algorithms for defining comorbidities in ICD-9-CM and ICD-10 administrative data. Med Care 2005;43(11):1130-9 (ICD-10 Charlson algorithm, data/charlson_quan2005_icd10.csv)
-- version: quan2005-icd10.1
-- period: every condition on the as-of date that is not inactive, resolved, refuted or entered in error
-- depends: dx
-- Codes are matched by prefix, once per distinct code rather than once per diagnosis: a population uses a few
-- thousand distinct codes among millions of diagnoses. The prefixes are 3 or 4 characters long, so two
-- equality joins on the code's first 3 and first 4 characters replace a LIKE join (which no engine can hash).
WITH codes AS (SELECT DISTINCT code FROM dx)
SELECT c.code, m.category FROM codes c JOIN ref_charlson_codes m ON m.prefix = substr(c.code, 1, 3)
UNION
SELECT c.code, m.category FROM codes c JOIN ref_charlson_codes m ON m.prefix = substr(c.code, 1, 4)
