-- name: cohort_heart_failure
-- title: Heart failure registry
-- kind: cohort
-- source: ICD-10-CM chapter codes I50 I110 I130 I132 (CMS Chronic Conditions Data Warehouse condition categories, simplified to the problem list)
-- version: 1
-- period: conditions known on the as-of date
-- depends: dx, ages
SELECT d.patient_id, min('diagnosis ' || d.code || ' since ' || CAST(d.known_on AS VARCHAR)) AS reason
FROM dx d JOIN ages a ON a.patient_id = d.patient_id
WHERE substr(d.code, 1, 3) IN ('I50', 'I110', 'I130', 'I132') OR substr(d.code, 1, 4) IN ('I50', 'I110', 'I130', 'I132')
GROUP BY d.patient_id
