-- name: hcc_factors
-- title: CMS-HCC factors per patient and model (V28 and V24): demographic cell, HCCs, interactions, HCC count, each with its relative factor
-- kind: intermediate
-- source: CMS-HCC relative factors V28hcccoefn.csv and V24hcccoefn.csv (hccpy/data, from CMS); interactions per the CMS SAS macros V2823T2M and V2419P1M (data/hcc_interactions.csv, hcc_groups.csv)
-- version: v28-2024.1+v24-2020.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: hcc_categories, ages
-- Segment: careloop records neither Medicare entitlement nor dual status, so patients 65 and over are
-- Community, Non-dual, Aged (CNA) and younger ones Community, Non-dual, Disabled (CND, entitled by
-- disability); neither is originally disabled. A patient's factors are the segment's relative factors for the
-- age/sex cell, each HCC, each interaction and the payment-HCC count (D1..D10P). Each factor carries its HCC,
-- code and date, so the evidence (hcc_evidence) needs no second join. One table for both readers: the score
-- and the evidence, which the bench times apart (the peers compute no evidence).
WITH people AS (
    SELECT patient_id, age, CASE WHEN gender = 'male' THEN 'M' ELSE 'F' END AS sex,
           CASE WHEN age >= 65 THEN 'CNA' ELSE 'CND' END AS segment,
           CASE WHEN age < 65 THEN 1 ELSE 0 END AS disabled
    FROM ages
),
models AS (SELECT DISTINCT model FROM ref_hcc_coefficients),
-- Each model's demographic cell for each (segment, sex, age) that occurs: a few hundred rows, where matching
-- every patient's age against the cells' ranges (and picking the first) cost a range join and a window over
-- two rows a patient.
cell_of AS (
    SELECT model, segment, sex, age, name FROM (
        SELECT m.model, k.segment, k.sex, k.age, d.name,
               row_number() OVER (PARTITION BY m.model, k.segment, k.sex, k.age ORDER BY d.ord) AS rn
        FROM (SELECT DISTINCT segment, sex, age FROM people) k CROSS JOIN models m
        JOIN ref_hcc_demographic d ON d.model = m.model AND d.segment = k.segment AND d.sex = k.sex
         AND k.age >= d.age_from AND k.age < d.age_to
    ) WHERE rn = 1
),
cells AS (
    SELECT c.model, p.patient_id, c.name
    FROM people p JOIN cell_of c ON c.segment = p.segment AND c.sex = p.sex AND c.age = p.age
),
groups_present AS (
    SELECT DISTINCT c.model, c.patient_id, g.grp
    FROM hcc_categories c JOIN ref_hcc_groups g ON g.model = c.model AND g.hcc = c.hcc
    UNION ALL
    SELECT m.model, p.patient_id, 'DISABLED' FROM people p CROSS JOIN models m WHERE p.disabled = 1
),
counts AS (
    SELECT model, patient_id, count(*) AS n FROM hcc_categories GROUP BY model, patient_id
),
factors AS (
    SELECT model, patient_id, name, 'demographic' AS kind, CAST(NULL AS INTEGER) AS hcc, CAST(NULL AS VARCHAR) AS code,
           CAST(NULL AS DATE) AS known_on
    FROM cells
    UNION ALL
    SELECT model, patient_id, 'HCC' || CAST(hcc AS VARCHAR), 'hcc', hcc, code, known_on FROM hcc_categories
    UNION ALL
    SELECT i.model, l.patient_id, i.name, 'interaction', NULL, NULL, NULL
    FROM ref_hcc_interactions i
    JOIN groups_present l ON l.model = i.model AND l.grp = i.left_grp
    JOIN groups_present r ON r.model = i.model AND r.grp = i.right_grp AND r.patient_id = l.patient_id
    UNION ALL
    SELECT model, patient_id, CASE WHEN n > 9 THEN 'D10P' ELSE 'D' || CAST(n AS VARCHAR) END, 'count', NULL, NULL, NULL
    FROM counts
),
valued AS (
    SELECT f.model, f.patient_id, f.name, f.kind, f.hcc, f.code, f.known_on, coalesce(c.coefficient, 0) AS coefficient
    FROM factors f
    JOIN people p ON p.patient_id = f.patient_id
    LEFT JOIN ref_hcc_coefficients c
      ON c.model = f.model
     AND c.name = CASE WHEN f.kind = 'demographic' THEN f.name ELSE p.segment || '_' || f.name END
)
SELECT model, patient_id, name, kind, hcc, code, known_on, coefficient FROM valued
