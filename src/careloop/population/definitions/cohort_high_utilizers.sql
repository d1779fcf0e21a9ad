-- name: cohort_high_utilizers
-- title: High utilizers (two or more admissions or four or more ED visits in 12 months)
-- kind: cohort
-- source: common care-management definition (e.g. CMS Innovation Center high-need, high-cost work: frequent inpatient or ED use in a year)
-- version: 1
-- period: the 12 months up to the as-of date
-- depends: utilization
SELECT patient_id,
       CAST(ip_12m AS VARCHAR) || ' admissions and ' || CAST(ed_12m AS VARCHAR) || ' ED visits in 12 months' AS reason
FROM utilization
WHERE ip_12m >= 2 OR ed_12m >= 4
