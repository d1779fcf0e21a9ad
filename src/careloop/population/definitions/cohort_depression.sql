-- name: cohort_depression
-- title: Depression registry
-- kind: cohort
-- source: ICD-10-CM chapter codes F32 F33 (CMS Chronic Conditions Data Warehouse condition categories, simplified to the problem list)
-- version: 1
-- period: conditions known on the as-of date
-- depends: dx, ages
SELECT d.patient_id, min('diagnosis ' || d.code || ' since ' || CAST(d.known_on AS VARCHAR)) AS reason
FROM dx d JOIN ages a ON a.patient_id = d.patient_id
WHERE substr(d.code, 1, 3) IN ('F32', 'F33') OR substr(d.code, 1, 4) IN ('F32', 'F33')
GROUP BY d.patient_id
