-- name: discharges
-- title: Discharges that transition-of-care measures follow up
-- kind: intermediate
-- source: NCQA HEDIS TRC and FUH denominators, public descriptions (CLINICAL-REFERENCE.md section 4)
-- version: 1
-- period: discharges in the 12 months up to the as-of date
-- depends: stays, ages
-- Adults discharged alive (not expired, not to hospice, not to another acute hospital). A stay followed by
-- another admission within 30 days is marked: follow-up measures exclude it when the readmission comes
-- inside their window.
SELECT s.encounter_id, s.patient_id, s.admit_date, s.discharge_date, s.discharged_at, s.los_days,
       (SELECT min(r.admit_date) FROM stays r
        WHERE r.patient_id = s.patient_id AND r.admitted_at > s.discharged_at
          AND r.admit_date <= s.discharge_date + INTERVAL 30 DAY) AS readmitted_on
FROM stays s
JOIN ages a ON a.patient_id = s.patient_id
CROSS JOIN params p
WHERE a.age >= 18
  AND s.discharge_date BETWEEN p.period_start AND p.period_end
  AND coalesce(s.discharge_disposition, '') NOT IN ('exp', 'hosp', 'other-hcf')
