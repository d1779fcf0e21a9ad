-- name: charlson
-- title: Charlson Comorbidity Index (Quan 2005 ICD-10 coding; Quan 2011 and Charlson 1987 weights; age-adjusted)
-- kind: score
-- source: Quan H et al. Med Care 2005;43(11):1130-9 (coding); Quan H et al. Am J Epidemiol 2011;173(6):676-82 (updated weights); Charlson ME et al. J Chronic Dis 1987;40(5):373-83 (original weights, age points: <50 0, 50-59 1, 60-69 2, 70-79 3, >=80 4)
-- version: 2011.2
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: dx, charlson_code_categories, ages
-- The sums of the weights of each patient's categories, each category once, after the hierarchy: a category
-- is not counted when its graver form is present (mild under severe liver disease, diabetes without under
-- with complications, any malignancy under metastatic tumour). The age-adjusted index adds the age points to
-- the 1987-weighted score, as Charlson 1987 combined them. The score needs only which categories are present,
-- so it does not wait for the first code and date of each (charlson_categories, for LACE and the evidence);
-- charlson_counted applies the same hierarchy to those for charlson_evidence.
WITH present AS (
    SELECT DISTINCT d.patient_id, cc.category
    FROM dx d JOIN charlson_code_categories cc ON cc.code = d.code
),
counted AS (
    SELECT c.patient_id, w.weight_quan2011, w.weight_1987
    FROM present c
    JOIN ref_charlson_weights w ON w.category = c.category
    WHERE NOT EXISTS (SELECT 1 FROM present g WHERE g.patient_id = c.patient_id AND g.category = w.graver)
),
per_patient AS (
    SELECT patient_id, sum(weight_quan2011) AS quan2011, sum(weight_1987) AS charlson1987
    FROM counted
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
