-- name: gap_colorectal
-- title: Colorectal cancer screening (ages 45-75)
-- kind: measure
-- source: NCQA HEDIS COL-E, public description (USPSTF 2021: ages 45-75): colonoscopy within 10 years, CT colonography within 5, stool DNA (FIT-DNA) within 3, FOBT/FIT within 1
-- version: hedis-my2025.1
-- period: the look-back of each test, ending on the as-of date
-- depends: ages, dx
-- Tests: colonoscopy (SNOMED CT 73761001, CPT 45378), CT colonography (SNOMED CT 418714002, CPT 74263) as
-- procedures; FIT/FOBT (LOINC 29771-3, 2335-8, 27396-1, 57905-2, 56490-6, 56491-4) and FIT-DNA (LOINC 77353-1,
-- 77354-9) as observations. Excluded: colorectal cancer (C18-C20, C21.8, Z85.038, Z85.048).
WITH tests AS (
    SELECT pr.patient_id, CAST(pr.performed_start AS DATE) AS on_date,
           CASE WHEN pr.code IN ('73761001', '45378') THEN 'colonoscopy' ELSE 'CT colonography' END AS test,
           CASE WHEN pr.code IN ('73761001', '45378') THEN 120 ELSE 60 END AS months
    FROM src_procedures pr WHERE pr.code IN ('73761001', '45378', '418714002', '74263')
    UNION ALL
    SELECT o.patient_id, CAST(o.effective_at AS DATE),
           CASE WHEN o.code IN ('77353-1', '77354-9') THEN 'FIT-DNA' ELSE 'FIT/FOBT' END,
           CASE WHEN o.code IN ('77353-1', '77354-9') THEN 36 ELSE 12 END
    FROM src_observations o
    WHERE o.code IN ('29771-3', '2335-8', '27396-1', '57905-2', '56490-6', '56491-4', '77353-1', '77354-9')
),
valid AS (
    SELECT t.patient_id, t.test, max(t.on_date) AS on_date
    FROM tests t CROSS JOIN params p
    WHERE t.on_date <= p.as_of AND t.on_date > p.as_of - t.months * INTERVAL 1 MONTH
    GROUP BY t.patient_id, t.test
),
best AS (
    SELECT patient_id, min(test || ' ' || CAST(on_date AS VARCHAR)) AS what FROM valid GROUP BY patient_id
),
excluded AS (
    SELECT DISTINCT patient_id FROM dx
    WHERE substr(code, 1, 3) IN ('C18', 'C19', 'C20') OR code IN ('C218', 'Z85038', 'Z85048')
)
SELECT a.patient_id, 'colorectal_screening' AS measure, CAST(NULL AS DATE) AS event_date,
       p.period_end AS due_date,
       CASE WHEN b.what IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
       coalesce(b.what, 'no colonoscopy in 10 years, CT colonography in 5, FIT-DNA in 3 or FIT in 1') AS evidence
FROM ages a CROSS JOIN params p
LEFT JOIN best b ON b.patient_id = a.patient_id
WHERE a.age BETWEEN 45 AND 75 AND a.patient_id NOT IN (SELECT patient_id FROM excluded)
