-- name: gap_pcr
-- title: Plan all-cause readmissions: unplanned readmission within 30 days of discharge (observed)
-- kind: measure
-- source: NCQA HEDIS PCR / NQF 1768, public description (CLINICAL-REFERENCE.md section 4); observed rate only, no risk adjustment
-- version: hedis-my2025.1
-- period: index discharges in the 12 months up to the as-of date
-- depends: stays, ages
-- Index stays: adults, not same-day, discharged alive. An admission beginning within 30 days after the index
-- discharge opens the row (the outcome the program works to prevent); careloop records no planned-admission
-- flag, so every readmission counts. Stays less than a day apart are one stay (a direct transfer).
WITH index_stays AS (
    SELECT s.* FROM stays s JOIN ages a ON a.patient_id = s.patient_id CROSS JOIN params p
    WHERE a.age >= 18 AND s.los_days >= 1
      AND coalesce(s.discharge_disposition, '') <> 'exp'
      AND s.discharge_date BETWEEN p.period_start AND p.period_end
),
readmitted AS (
    SELECT i.encounter_id, min(r.admit_date) AS readmit_date
    FROM index_stays i JOIN stays r ON r.patient_id = i.patient_id AND r.encounter_id <> i.encounter_id
    WHERE r.admitted_at > i.discharged_at + INTERVAL 1 DAY
      AND r.admit_date <= i.discharge_date + INTERVAL 30 DAY
    GROUP BY i.encounter_id
)
SELECT i.patient_id, 'pcr_30d' AS measure, i.discharge_date AS event_date,
       CAST(i.discharge_date + INTERVAL 30 DAY AS DATE) AS due_date,
       CASE WHEN r.readmit_date IS NOT NULL THEN 'open' ELSE 'closed' END AS status,
       'discharged ' || CAST(i.discharge_date AS VARCHAR) || '; '
         || coalesce('readmitted ' || CAST(r.readmit_date AS VARCHAR), 'no readmission within 30 days') AS evidence
FROM index_stays i LEFT JOIN readmitted r ON r.encounter_id = i.encounter_id
