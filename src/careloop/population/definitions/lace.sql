-- name: lace
-- title: LACE index for readmission or death within 30 days, at each inpatient discharge
-- kind: score
-- source: van Walraven C et al. CMAJ 2010;182(6):551-7 (CLINICAL-REFERENCE.md section 4)
-- version: 2010.1
-- period: each discharge in the 12 months up to the as-of date
-- depends: stays, charlson_categories
-- L: length of stay in days, <1 0, 1 1, 2 2, 3 3, 4-6 4, 7-13 5, >=14 7.
-- A: acute (emergent) admission 3.
-- C: Charlson score with LACE's weights (ref_charlson_weights.weight_lace) over the diagnoses known by the
--    discharge date, hierarchy applied; 0-3 as is, >=4 5.
-- E: ED visits in the 6 months before admission, not counting the one that led to this admission; >=4 4.
-- Bands: 0-4 low, 5-9 moderate, >=10 high.
WITH recent AS (
    SELECT s.* FROM stays s CROSS JOIN params p
    WHERE s.discharge_date > p.as_of - INTERVAL 12 MONTH
),
comorbid AS (
    SELECT s.encounter_id, sum(w.weight_lace) AS charlson_lace
    FROM recent s
    JOIN charlson_categories c ON c.patient_id = s.patient_id AND c.known_on <= s.discharge_date
    JOIN ref_charlson_weights w ON w.category = c.category
    WHERE NOT EXISTS (
        SELECT 1 FROM charlson_categories g
        WHERE g.patient_id = c.patient_id AND g.category = w.graver AND g.known_on <= s.discharge_date
    )
    GROUP BY s.encounter_id
),
ed AS (
    SELECT s.encounter_id, count(*) AS ed_visits
    FROM recent s
    JOIN src_encounters e ON e.patient_id = s.patient_id AND e.class_code = 'EMER'
    WHERE e.status NOT IN ('cancelled', 'entered-in-error', 'planned')
      AND e.period_start < s.admitted_at - INTERVAL 1 DAY
      AND e.period_start >= s.admitted_at - INTERVAL 6 MONTH
    GROUP BY s.encounter_id
),
points AS (
    SELECT s.encounter_id, s.patient_id, s.discharge_date, s.los_days,
           s.via_ed, coalesce(c.charlson_lace, 0) AS charlson_lace, coalesce(e.ed_visits, 0) AS ed_visits,
           CASE WHEN s.los_days < 1 THEN 0 WHEN s.los_days <= 3 THEN s.los_days WHEN s.los_days <= 6 THEN 4
                WHEN s.los_days <= 13 THEN 5 ELSE 7 END AS l_points,
           CASE WHEN s.via_ed THEN 3 ELSE 0 END AS a_points,
           CASE WHEN coalesce(c.charlson_lace, 0) >= 4 THEN 5 ELSE coalesce(c.charlson_lace, 0) END AS c_points,
           CASE WHEN coalesce(e.ed_visits, 0) >= 4 THEN 4 ELSE coalesce(e.ed_visits, 0) END AS e_points
    FROM recent s
    LEFT JOIN comorbid c ON c.encounter_id = s.encounter_id
    LEFT JOIN ed e ON e.encounter_id = s.encounter_id
)
SELECT encounter_id, patient_id, discharge_date, l_points, a_points, c_points, e_points,
       l_points + a_points + c_points + e_points AS lace,
       CASE WHEN l_points + a_points + c_points + e_points >= 10 THEN 'high'
            WHEN l_points + a_points + c_points + e_points >= 5 THEN 'moderate' ELSE 'low' END AS lace_band,
       'L ' || CAST(los_days AS VARCHAR) || ' days = ' || CAST(l_points AS VARCHAR)
         || '; A ' || CASE WHEN via_ed THEN 'via the ED = 3' ELSE 'elective = 0' END
         || '; C Charlson ' || CAST(charlson_lace AS VARCHAR) || ' = ' || CAST(c_points AS VARCHAR)
         || '; E ' || CAST(ed_visits AS VARCHAR) || ' ED visits in 6 months = ' || CAST(e_points AS VARCHAR)
         || ' (discharged ' || CAST(discharge_date AS VARCHAR) || ')' AS lace_evidence
FROM points
