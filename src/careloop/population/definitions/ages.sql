-- name: ages
-- title: Each patient's age in whole years and sex on the as-of date
-- kind: intermediate
-- source: careloop patients (birth_date, administrative gender)
-- version: 1
-- period: the as-of date
-- depends:
-- Age in completed years: the year difference, less one where the birthday has not come yet that year.
SELECT pt.patient_id,
       pt.gender,
       year(p.as_of) - year(pt.birth_date)
         - CASE WHEN month(p.as_of) < month(pt.birth_date)
                  OR (month(p.as_of) = month(pt.birth_date) AND day(p.as_of) < day(pt.birth_date))
                THEN 1 ELSE 0 END AS age
FROM src_patients pt
CROSS JOIN params p
WHERE pt.deceased_at IS NULL
