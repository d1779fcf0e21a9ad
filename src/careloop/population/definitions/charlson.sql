-- name: charlson
-- title: Charlson Comorbidity Index (Quan 2005 ICD-10 coding; Quan 2011 and Charlson 1987 weights; age-adjusted)
-- kind: score
-- source: Quan H et al. Med Care 2005;43(11):1130-9 (coding); Quan H et al. Am J Epidemiol 2011;173(6):676-82 (updated weights); Charlson ME et al. J Chronic Dis 1987;40(5):373-83 (original weights, age points: <50 0, 50-59 1, 60-69 2, 70-79 3, >=80 4)
-- version: 2011.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: charlson_categories, ages
-- Hierarchy: a category is not counted when its graver form is present (mild under severe liver disease,
-- diabetes without under with complications, any malignancy under metastatic tumour). The age-adjusted
-- index adds the age points to the 1987-weighted score, as Charlson 1987 combined them. The evidence is a set
-- (readers order it: population.schemas.parse_evidence), which spares a sort per patient.
WITH counted AS (
    SELECT c.patient_id, c.category, c.code, c.known_on, w.weight_1987, w.weight_quan2011, w.title
    FROM charlson_categories c
    JOIN ref_charlson_weights w ON w.category = c.category
    WHERE NOT EXISTS (
        SELECT 1 FROM charlson_categories g
        WHERE g.patient_id = c.patient_id AND g.category = w.graver
    )
),
per_patient AS (
    SELECT patient_id,
           sum(weight_quan2011) AS quan2011,
           sum(weight_1987) AS charlson1987,
           '[' || string_agg('{"category":"' || category || '","title":"' || title || '","code":"' || code
                             || '","since":"' || CAST(known_on AS VARCHAR) || '","quan2011":'
                             || CAST(weight_quan2011 AS VARCHAR) || ',"charlson1987":'
                             || CAST(weight_1987 AS VARCHAR) || '}', ',') || ']' AS evidence
    FROM counted
    GROUP BY patient_id
)
SELECT a.patient_id,
       coalesce(s.quan2011, 0) AS charlson_quan2011,
       coalesce(s.charlson1987, 0) AS charlson_1987,
       coalesce(s.charlson1987, 0)
         + CASE WHEN a.age < 50 THEN 0 WHEN a.age < 60 THEN 1 WHEN a.age < 70 THEN 2
                WHEN a.age < 80 THEN 3 ELSE 4 END AS charlson_age_adjusted,
       coalesce(s.evidence, '[]') AS charlson_evidence
FROM ages a
LEFT JOIN per_patient s ON s.patient_id = a.patient_id
