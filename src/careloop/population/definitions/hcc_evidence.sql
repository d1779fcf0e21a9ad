-- name: hcc_evidence
-- title: What each patient's CMS-HCC V28 score is made of: every factor with its coefficient, and the code and date behind each HCC
-- kind: intermediate
-- source: the factors of hcc_factors; HCC labels from the CMS V28 label file (hccpy/data)
-- version: v28-2024.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: hcc_factors
-- A JSON set per patient (readers order it: population.schemas.parse_evidence), which spares a sort per patient.
SELECT v.patient_id,
       '[' || string_agg('{"factor":"' || v.name || '","kind":"' || v.kind || '","coefficient":'
                         || CAST(round(v.coefficient, 4) AS VARCHAR)
                         || coalesce(',"code":"' || v.code || '","since":"' || CAST(v.known_on AS VARCHAR)
                                     || '","label":"' || replace(l.label, '"', '') || '"', '') || '}',
                         ',') || ']' AS hcc_evidence
FROM hcc_factors v
LEFT JOIN ref_hcc_labels l ON l.model = v.model AND l.hcc = v.hcc
WHERE v.model = 'V28'
GROUP BY v.patient_id
