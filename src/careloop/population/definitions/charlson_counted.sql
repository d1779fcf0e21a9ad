-- name: charlson_counted
-- title: Charlson categories that count for each patient, after the hierarchy, with their weights
-- kind: intermediate
-- source: Quan H et al. Med Care 2005;43(11):1130-9 (coding); Quan H et al. Am J Epidemiol 2011;173(6):676-82 (updated weights); Charlson ME et al. J Chronic Dis 1987;40(5):373-83 (original weights)
-- version: 2011.1
-- period: diagnoses known on the as-of date
-- depends: charlson_categories
-- Hierarchy: a category is not counted when its graver form is present (mild under severe liver disease,
-- diabetes without under with complications, any malignancy under metastatic tumour).
SELECT c.patient_id, c.category, c.code, c.known_on, w.weight_1987, w.weight_quan2011, w.title
FROM charlson_categories c
JOIN ref_charlson_weights w ON w.category = c.category
WHERE NOT EXISTS (
    SELECT 1 FROM charlson_categories g
    WHERE g.patient_id = c.patient_id AND g.category = w.graver
)
