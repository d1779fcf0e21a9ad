-- name: gap_fmc
-- title: Follow-up within 7 days after an ED visit for people with multiple high-risk chronic conditions
-- kind: measure
-- source: NCQA HEDIS FMC, public description (CLINICAL-REFERENCE.md section 4)
-- version: hedis-my2025.1
-- period: ED visits in the 12 months up to the as-of date
-- depends: ages, dx
-- Denominator: ED visits of adults with two or more of the eight condition groups known before the visit:
-- COPD/asthma (J40-J47), dementia (F00-F03, G30), CKD (N18), depression (F32, F33), heart failure (I50),
-- AMI (I21, I22), atrial fibrillation (I48), stroke/TIA (I63, G45). An ED visit followed by an admission
-- within the window is excluded. Numerator: an outpatient, virtual or home visit on the ED date through 7 days after.
WITH groups AS (
    SELECT DISTINCT d.patient_id, d.known_on,
           CASE WHEN substr(d.code, 1, 3) BETWEEN 'J40' AND 'J47' THEN 'copd_asthma'
                WHEN substr(d.code, 1, 3) IN ('F00', 'F01', 'F02', 'F03', 'G30') THEN 'dementia'
                WHEN substr(d.code, 1, 3) = 'N18' THEN 'ckd'
                WHEN substr(d.code, 1, 3) IN ('F32', 'F33') THEN 'depression'
                WHEN substr(d.code, 1, 3) = 'I50' THEN 'heart_failure'
                WHEN substr(d.code, 1, 3) IN ('I21', 'I22') THEN 'ami'
                WHEN substr(d.code, 1, 3) = 'I48' THEN 'atrial_fibrillation'
                WHEN substr(d.code, 1, 3) IN ('I63', 'G45') THEN 'stroke_tia'
           END AS grp
    FROM dx d
),
ed AS (
    SELECT e.encounter_id, e.patient_id, CAST(e.period_start AS DATE) AS ed_date
    FROM src_encounters e JOIN ages a ON a.patient_id = e.patient_id CROSS JOIN params p
    WHERE e.class_code = 'EMER' AND e.status NOT IN ('cancelled', 'entered-in-error', 'planned')
      AND a.age >= 18 AND CAST(e.period_start AS DATE) BETWEEN p.period_start AND p.period_end
),
eligible AS (
    SELECT ed.encounter_id, ed.patient_id, ed.ed_date, count(DISTINCT g.grp) AS conditions
    FROM ed JOIN groups g ON g.patient_id = ed.patient_id AND g.grp IS NOT NULL AND g.known_on <= ed.ed_date
    WHERE NOT EXISTS (
        SELECT 1 FROM src_encounters i
        WHERE i.patient_id = ed.patient_id AND i.class_code = 'IMP'
          AND CAST(i.period_start AS DATE) BETWEEN ed.ed_date AND ed.ed_date + INTERVAL 7 DAY
    )
    GROUP BY ed.encounter_id, ed.patient_id, ed.ed_date
    HAVING count(DISTINCT g.grp) >= 2
),
followed AS (
    SELECT el.encounter_id, min(CAST(e.period_start AS DATE)) AS seen_on
    FROM eligible el JOIN src_encounters e ON e.patient_id = el.patient_id
    WHERE e.class_code IN ('AMB', 'VR', 'HH') AND e.status IN ('finished', 'in-progress', 'arrived')
      AND CAST(e.period_start AS DATE) BETWEEN el.ed_date AND el.ed_date + INTERVAL 7 DAY
    GROUP BY el.encounter_id
)
SELECT el.patient_id, 'fmc_7d' AS measure, el.ed_date AS event_date,
       CAST(el.ed_date + INTERVAL 7 DAY AS DATE) AS due_date,
       CASE WHEN f.seen_on IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
       'ED visit ' || CAST(el.ed_date AS VARCHAR) || ' with ' || CAST(el.conditions AS VARCHAR)
         || ' chronic condition groups; ' || coalesce('seen ' || CAST(f.seen_on AS VARCHAR), 'no follow-up within 7 days')
         AS evidence
FROM eligible el LEFT JOIN followed f ON f.encounter_id = el.encounter_id
