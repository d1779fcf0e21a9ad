-- name: gap_followup
-- title: Follow-up visit within 7 and within 30 days after a hospital discharge
-- kind: measure
-- source: NCQA HEDIS TRC patient engagement (within 30 days) and FUH timing (7 and 30 days, a visit on the discharge date does not count), public descriptions (CLINICAL-REFERENCE.md section 4), applied to all-cause discharges
-- version: hedis-my2025.1
-- period: discharges in the 12 months up to the as-of date
-- depends: discharges
-- A follow-up is an outpatient, virtual or home-health encounter (finished or under way) starting the day
-- after discharge through day 7 (followup_7d) or day 30 (followup_30d). A discharge readmitted inside the
-- window is left out. A gap whose window has not ended yet is open with its due date, so it can be worked.
WITH windows AS (
    SELECT d.*, w.days, w.measure
    FROM discharges d
    CROSS JOIN (SELECT 7 AS days, 'followup_7d' AS measure UNION ALL SELECT 30, 'followup_30d') w
    WHERE d.readmitted_on IS NULL OR d.readmitted_on > d.discharge_date + w.days
),
visits AS (
    SELECT w.encounter_id, w.measure, min(CAST(e.period_start AS DATE)) AS first_visit
    FROM windows w
    JOIN src_encounters e ON e.patient_id = w.patient_id
    WHERE e.class_code IN ('AMB', 'VR', 'HH') AND e.status IN ('finished', 'in-progress', 'arrived')
      AND CAST(e.period_start AS DATE) > w.discharge_date
      AND CAST(e.period_start AS DATE) <= w.discharge_date + w.days
    GROUP BY w.encounter_id, w.measure
)
SELECT w.patient_id, w.measure, w.discharge_date AS event_date,
       CAST(w.discharge_date + w.days AS DATE) AS due_date,
       CASE WHEN v.first_visit IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
       CASE WHEN v.first_visit IS NOT NULL
            THEN 'discharged ' || CAST(w.discharge_date AS VARCHAR) || '; seen ' || CAST(v.first_visit AS VARCHAR)
            ELSE 'discharged ' || CAST(w.discharge_date AS VARCHAR) || '; no visit within '
                 || CAST(w.days AS VARCHAR) || ' days' END AS evidence
FROM windows w
LEFT JOIN visits v ON v.encounter_id = w.encounter_id AND v.measure = w.measure
