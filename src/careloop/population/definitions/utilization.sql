-- name: utilization
-- title: ED visits and inpatient admissions in the last 6 and 12 months; 30-day readmissions
-- kind: score
-- source: careloop encounters; readmission = an inpatient admission beginning within 30 days after an inpatient discharge (CMS/NCQA PCR timing, all causes, observed)
-- version: 1
-- period: the 6 and 12 months up to and including the as-of date
-- depends: ages, stays
WITH visits AS (
    SELECT e.patient_id, e.class_code, CAST(e.period_start AS DATE) AS on_date
    FROM src_encounters e CROSS JOIN params p
    WHERE e.class_code IN ('EMER', 'IMP')
      AND e.status NOT IN ('cancelled', 'entered-in-error', 'planned')
      AND CAST(e.period_start AS DATE) <= p.as_of
      AND CAST(e.period_start AS DATE) > p.as_of - INTERVAL 12 MONTH
),
counts AS (
    SELECT v.patient_id,
           sum(CASE WHEN v.class_code = 'EMER' AND v.on_date > p.as_of - INTERVAL 6 MONTH THEN 1 ELSE 0 END) AS ed_6m,
           sum(CASE WHEN v.class_code = 'EMER' THEN 1 ELSE 0 END) AS ed_12m,
           sum(CASE WHEN v.class_code = 'IMP' AND v.on_date > p.as_of - INTERVAL 6 MONTH THEN 1 ELSE 0 END) AS ip_6m,
           sum(CASE WHEN v.class_code = 'IMP' THEN 1 ELSE 0 END) AS ip_12m
    FROM visits v CROSS JOIN params p
    GROUP BY v.patient_id
),
readmissions AS (
    SELECT r.patient_id, count(DISTINCT r.encounter_id) AS readmissions_30d
    FROM stays r
    JOIN stays i ON i.patient_id = r.patient_id AND i.encounter_id <> r.encounter_id
    CROSS JOIN params p
    WHERE r.admit_date > i.discharge_date - INTERVAL 1 DAY
      AND r.admitted_at > i.discharged_at
      AND r.admit_date <= i.discharge_date + INTERVAL 30 DAY
      AND r.admit_date > p.as_of - INTERVAL 12 MONTH
    GROUP BY r.patient_id
)
SELECT a.patient_id,
       coalesce(c.ed_6m, 0) AS ed_6m,
       coalesce(c.ed_12m, 0) AS ed_12m,
       coalesce(c.ip_6m, 0) AS ip_6m,
       coalesce(c.ip_12m, 0) AS ip_12m,
       coalesce(r.readmissions_30d, 0) AS readmissions_30d
FROM ages a
LEFT JOIN counts c ON c.patient_id = a.patient_id
LEFT JOIN readmissions r ON r.patient_id = a.patient_id
