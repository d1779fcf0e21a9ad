-- name: hcc
-- title: CMS-HCC risk score, model V28 with V24 beside it, community segments, and the blended payment RAF
-- kind: score
-- source: the factors of hcc_factors (CMS relative factors); normalization, coding adjustment and blend from the CMS CY2025 Rate Announcement (data/hcc_payment_year.csv)
-- version: v28-2024.1+v24-2020.1
-- period: diagnoses known on the as-of date; age on the as-of date
-- depends: hcc_factors, ages
-- The score is the sum of a model's factors, rounded to 4 places as CMS and hccpy report it. The RAF is each
-- score x (1 - coding adjustment) / normalization, blended. The segment rule is hcc_factors'.
WITH people AS (
    SELECT patient_id, CASE WHEN age >= 65 THEN 'CNA' ELSE 'CND' END AS segment FROM ages
),
scores AS (
    SELECT model, patient_id, round(sum(coefficient), 4) AS score FROM hcc_factors GROUP BY model, patient_id
),
raf AS (
    SELECT s.patient_id,
           round(sum(s.score * (1 - y.coding_adjustment) / y.normalization * y.blend_share), 4) AS hcc_raf
    FROM scores s JOIN ref_hcc_payment_year y ON y.model = s.model
    GROUP BY s.patient_id
)
SELECT p.patient_id, p.segment AS hcc_segment,
       coalesce(v28.score, 0) AS hcc_v28, coalesce(v24.score, 0) AS hcc_v24, coalesce(r.hcc_raf, 0) AS hcc_raf
FROM people p
LEFT JOIN scores v28 ON v28.patient_id = p.patient_id AND v28.model = 'V28'
LEFT JOIN scores v24 ON v24.patient_id = p.patient_id AND v24.model = 'V24'
LEFT JOIN raf r ON r.patient_id = p.patient_id
