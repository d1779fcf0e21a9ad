-- name: patient_results
-- title: One row per patient: every score (Charlson, CMS-HCC, LACE, HOSPITAL), tier, utilization and open gaps
-- kind: summary
-- source: the definitions it depends on
-- version: 1
-- period: the as-of date
-- depends: ages, charlson, charlson_evidence, hcc, hcc_evidence, utilization, latest_scores, risk_tiers, gaps
WITH open_gaps AS (
    SELECT patient_id, count(*) AS open_gaps FROM gaps WHERE status = 'open' GROUP BY patient_id
)
SELECT a.patient_id, a.age,
       c.charlson_quan2011, c.charlson_1987, c.charlson_age_adjusted,
       coalesce(ce.charlson_evidence, '[]') AS charlson_evidence,
       h.hcc_segment, h.hcc_v28, h.hcc_v24, h.hcc_raf, coalesce(he.hcc_evidence, '[]') AS hcc_evidence,
       u.ed_6m, u.ed_12m, u.ip_6m, u.ip_12m, u.readmissions_30d,
       l.lace, l.lace_band, l.lace_evidence, l.hospital_score, l.hospital_band, l.hospital_evidence,
       t.tier AS risk_tier, t.tier_reason,
       coalesce(g.open_gaps, 0) AS open_gaps
FROM ages a
JOIN charlson c ON c.patient_id = a.patient_id
LEFT JOIN charlson_evidence ce ON ce.patient_id = a.patient_id
JOIN hcc h ON h.patient_id = a.patient_id
LEFT JOIN hcc_evidence he ON he.patient_id = a.patient_id
JOIN utilization u ON u.patient_id = a.patient_id
JOIN risk_tiers t ON t.patient_id = a.patient_id
LEFT JOIN latest_scores l ON l.patient_id = a.patient_id
LEFT JOIN open_gaps g ON g.patient_id = a.patient_id
