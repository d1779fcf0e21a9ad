-- name: charlson
-- title: Charlson Comorbidity Index (Quan 2005 ICD-10 coding; Quan 2011 and Charlson 1987 weights; age-adjusted)
-- kind: score
-- source: Quan H et al. Med Care 2005;43(11):1130-9 (coding); Quan H et al. Am J Epidemiol 2011;173(6):676-82 (updated weights); Charlson ME et al. J Chronic Dis 1987;40(5):373-83 (original weights, age points: <50 0, 50-59 1, 60-69 2, 70-79 3, >=80 4)
-- version: 2011.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: charlson_counted, ages
-- The sums of the counted categories' weights (charlson_counted applies the hierarchy). The age-adjusted
-- index adds the age points to the 1987-weighted score, as Charlson 1987 combined them. What each score is
-- made of is charlson_evidence.
WITH per_patient AS (
    SELECT patient_id, sum(weight_quan2011) AS quan2011, sum(weight_1987) AS charlson1987
    FROM charlson_counted
    GROUP BY patient_id
)
SELECT a.patient_id,
       coalesce(s.quan2011, 0) AS charlson_quan2011,
       coalesce(s.charlson1987, 0) AS charlson_1987,
       coalesce(s.charlson1987, 0)
         + CASE WHEN a.age < 50 THEN 0 WHEN a.age < 60 THEN 1 WHEN a.age < 70 THEN 2
                WHEN a.age < 80 THEN 3 ELSE 4 END AS charlson_age_adjusted
FROM ages a
LEFT JOIN per_patient s ON s.patient_id = a.patient_id
