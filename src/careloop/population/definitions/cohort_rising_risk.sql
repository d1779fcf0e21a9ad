-- name: cohort_rising_risk
-- title: Rising risk (not yet high risk, comorbid, and using more acute care in the last 6 months than the 6 before)
-- kind: cohort
-- source: careloop definition after the care-management "rising risk" tier (patients likely to move to high risk): Charlson (Quan 2011) >= 2 and more ED visits plus admissions in months 0-6 than in months 7-12
-- version: 1
-- period: the 12 months up to the as-of date, in two halves
-- depends: utilization, charlson, risk_tiers
SELECT u.patient_id,
       CAST(u.ed_6m + u.ip_6m AS VARCHAR) || ' acute visits in the last 6 months against '
         || CAST(u.ed_12m + u.ip_12m - u.ed_6m - u.ip_6m AS VARCHAR) || ' the 6 before; Charlson '
         || CAST(c.charlson_quan2011 AS VARCHAR) AS reason
FROM utilization u
JOIN charlson c ON c.patient_id = u.patient_id
JOIN risk_tiers t ON t.patient_id = u.patient_id
WHERE t.tier <> 'high' AND c.charlson_quan2011 >= 2
  AND u.ed_6m + u.ip_6m > u.ed_12m + u.ip_12m - u.ed_6m - u.ip_6m
