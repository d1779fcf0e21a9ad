-- name: gap_cbp
-- title: Controlling high blood pressure (<140/90)
-- kind: measure
-- source: NCQA HEDIS CBP, public description (CLINICAL-REFERENCE.md section 4; NCQA value sets are licensed, so the codes here are ICD-10-CM I10-I16 and LOINC 8480-6/8462-4)
-- version: hedis-my2025.1
-- period: the 12 months up to the as-of date (HEDIS uses the calendar year)
-- depends: ages, dx
-- Denominator: aged 18-85 with hypertension known by six months before the period ends, and at least two
-- outpatient, virtual or home visits on different dates in the period (careloop seldom links a diagnosis to
-- a visit, so the diagnosis is taken from the problem list). Excluded: end-stage renal disease or dialysis
-- (N186, Z992), hospice discharge in the period.
-- Representative reading: the latest date in the period with a reading not taken during an ED visit or a
-- hospital stay; lowest systolic and lowest diastolic of that date. Controlled when both are below 140/90;
-- no reading is not controlled.
WITH hypertensive AS (
    SELECT DISTINCT d.patient_id FROM dx d CROSS JOIN params p
    WHERE substr(d.code, 1, 3) IN ('I10', 'I11', 'I12', 'I13', 'I15', 'I16')
      AND d.known_on <= p.period_end - INTERVAL 6 MONTH
),
excluded AS (
    SELECT DISTINCT patient_id FROM dx WHERE code IN ('N186', 'Z992')
    UNION
    SELECT DISTINCT e.patient_id FROM src_encounters e CROSS JOIN params p
    WHERE e.discharge_disposition = 'hosp' AND CAST(e.period_end AS DATE) BETWEEN p.period_start AND p.period_end
),
visits AS (
    SELECT e.patient_id, count(DISTINCT CAST(e.period_start AS DATE)) AS visit_days
    FROM src_encounters e CROSS JOIN params p
    WHERE e.class_code IN ('AMB', 'VR', 'HH') AND e.status IN ('finished', 'in-progress', 'arrived')
      AND CAST(e.period_start AS DATE) BETWEEN p.period_start AND p.period_end
    GROUP BY e.patient_id
),
denominator AS (
    SELECT a.patient_id FROM ages a
    JOIN hypertensive h ON h.patient_id = a.patient_id
    JOIN visits v ON v.patient_id = a.patient_id AND v.visit_days >= 2
    WHERE a.age BETWEEN 18 AND 85
      AND a.patient_id NOT IN (SELECT patient_id FROM excluded)
),
readings AS (
    SELECT o.patient_id, CAST(o.effective_at AS DATE) AS on_date, o.code, o.value_num
    FROM src_observations o
    JOIN denominator d ON d.patient_id = o.patient_id
    CROSS JOIN params p
    LEFT JOIN src_encounters e ON e.encounter_id = o.encounter_id
    WHERE o.code IN ('8480-6', '8462-4') AND o.value_num IS NOT NULL
      AND CAST(o.effective_at AS DATE) BETWEEN p.period_start AND p.period_end
      AND coalesce(e.class_code, 'AMB') NOT IN ('EMER', 'IMP')
),
latest_day AS (
    SELECT patient_id, max(on_date) AS on_date FROM readings GROUP BY patient_id
),
representative AS (
    SELECT r.patient_id, r.on_date,
           min(CASE WHEN r.code = '8480-6' THEN r.value_num END) AS systolic,
           min(CASE WHEN r.code = '8462-4' THEN r.value_num END) AS diastolic
    FROM readings r JOIN latest_day l ON l.patient_id = r.patient_id AND l.on_date = r.on_date
    GROUP BY r.patient_id, r.on_date
)
SELECT d.patient_id,
       'cbp' AS measure,
       CAST(NULL AS DATE) AS event_date,
       p.period_end AS due_date,
       CASE WHEN r.systolic < 140 AND r.diastolic < 90 THEN 'closed' ELSE 'open' END AS status,
       CASE WHEN r.patient_id IS NULL THEN 'no blood pressure reading outside hospital in the period'
            ELSE 'representative BP ' || CAST(CAST(r.systolic AS INTEGER) AS VARCHAR) || '/'
                 || coalesce(CAST(CAST(r.diastolic AS INTEGER) AS VARCHAR), '?') || ' mm[Hg] on '
                 || CAST(r.on_date AS VARCHAR) END AS evidence
FROM denominator d
CROSS JOIN params p
LEFT JOIN representative r ON r.patient_id = d.patient_id
