-- name: hcc_categories
-- title: CMS-HCC payment HCCs per patient and model (V28 and V24), after age/sex edits and hierarchies
-- kind: intermediate
-- source: CMS-HCC software files as shipped in hccpy/data: ICD-10-CM mappings F2823T2N (V28) and F24 all years combined (V24); age/sex edits V28I0ED1, V24I0ED1; hierarchies V28115H1, V24H86H1 (careloop/population/hcc_tables.py)
-- version: v28-2024.1+v24-2020.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: dx, ages
-- A code maps to its HCCs by exact match; an age/sex edit replaces a code's HCCs (or drops them). V28 keeps
-- HCC 223 only with another heart failure HCC (221, 222, 224-226), as hccpy's port of the CMS software does.
-- Hierarchies: an HCC is dropped when a patient has one of the HCCs placed above it.
WITH people AS (
    SELECT patient_id, age, CASE WHEN gender = 'male' THEN 'M' ELSE 'F' END AS sex FROM ages
),
codes AS (
    SELECT patient_id, code, min(known_on) AS known_on FROM dx GROUP BY patient_id, code
),
mapped AS (
    SELECT m.model, c.patient_id, c.code, c.known_on, m.hcc, p.age, p.sex
    FROM codes c
    JOIN ref_hcc_dx m ON m.dx = c.code
    JOIN people p ON p.patient_id = c.patient_id
),
edited AS (
    SELECT x.model, x.patient_id, x.code, x.known_on,
           CASE WHEN e.dx IS NULL THEN x.hcc ELSE e.new_hcc END AS hcc
    FROM mapped x
    LEFT JOIN ref_hcc_edits e
      ON e.model = x.model AND e.dx = x.code
     AND (e.sex IS NULL OR e.sex = x.sex)
     AND ((e.age_lt IS NULL AND e.age_gt IS NULL AND e.age_ge IS NULL)
          OR x.age < e.age_lt OR x.age > e.age_gt OR x.age >= e.age_ge)
),
present AS (
    SELECT model, patient_id, hcc, min(code) AS code, min(known_on) AS known_on
    FROM edited WHERE hcc IS NOT NULL
    GROUP BY model, patient_id, hcc
),
patched AS (
    SELECT p.* FROM present p
    WHERE NOT (p.model = 'V28' AND p.hcc = 223 AND NOT EXISTS (
        SELECT 1 FROM present o
        WHERE o.model = 'V28' AND o.patient_id = p.patient_id AND o.hcc IN (221, 222, 224, 225, 226)))
)
SELECT p.model, p.patient_id, p.hcc, p.code, p.known_on
FROM patched p
WHERE NOT EXISTS (
    SELECT 1 FROM ref_hcc_hierarchy h JOIN patched above
      ON above.model = h.model AND above.hcc = h.parent
    WHERE h.model = p.model AND h.child = p.hcc AND above.patient_id = p.patient_id
)
