-- name: stays
-- title: Finished inpatient stays, with how they began and how long they lasted
-- kind: intermediate
-- source: careloop encounters (v3 ActCode IMP; HL7 discharge-disposition)
-- version: 1
-- period: stays discharged in the 24 months up to the as-of date (scores look back 12 months from each)
-- depends:
-- A stay counts as acute/emergent when an ED visit of the same patient began in the 24 hours before the
-- admission (the synthetic population and ADT feeds record the ED visit as its own encounter).
-- Length of stay is in calendar days between admission and discharge (a same-day stay is 0).
SELECT e.encounter_id,
       e.patient_id,
       e.period_start AS admitted_at,
       e.period_end AS discharged_at,
       CAST(e.period_start AS DATE) AS admit_date,
       CAST(e.period_end AS DATE) AS discharge_date,
       date_diff('day', CAST(e.period_start AS DATE), CAST(e.period_end AS DATE)) AS los_days,
       e.discharge_disposition,
       e.reason_code,
       EXISTS (
           SELECT 1 FROM src_encounters ed
           WHERE ed.patient_id = e.patient_id AND ed.class_code = 'EMER'
             AND ed.period_start <= e.period_start
             AND ed.period_start >= e.period_start - INTERVAL 1 DAY
       ) AS via_ed
FROM src_encounters e
CROSS JOIN params p
WHERE e.class_code = 'IMP'
  AND e.status = 'finished'
  AND e.period_end IS NOT NULL
  AND CAST(e.period_end AS DATE) <= p.as_of
  AND CAST(e.period_end AS DATE) > p.as_of - INTERVAL 24 MONTH
