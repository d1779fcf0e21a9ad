-- name: hospital_score
-- title: HOSPITAL score for potentially avoidable 30-day readmission, at each discharge whose labs exist
-- kind: score
-- source: Donze J et al. JAMA Intern Med 2013;173(8):632-8 (CLINICAL-REFERENCE.md section 4)
-- version: 2013.1
-- period: each discharge in the 12 months up to the as-of date with a hemoglobin and a sodium during the stay
-- depends: stays
-- H hemoglobin (LOINC 718-7) <12 g/dL at discharge 1; O discharge from oncology 2; S sodium (2951-2) <135 mmol/L
-- at discharge 1; P any procedure during the stay 1; IT urgent/emergent admission 1; A admissions in the 12
-- months before: 0-1 0, 2-5 2, >5 5; L length of stay >=5 days 2. "At discharge" is the last result during the
-- stay. careloop records no hospital service, so O uses the stay's principal reason: an ICD-10-CM neoplasm
-- (C00-D49), the nearest recorded sign of an oncology stay. Bands: 0-4 low, 5-6 intermediate, >=7 high.
WITH recent AS (
    SELECT s.* FROM stays s CROSS JOIN params p
    WHERE s.discharge_date > p.as_of - INTERVAL 12 MONTH
),
labs AS (
    SELECT s.encounter_id, o.code, o.value_num,
           row_number() OVER (PARTITION BY s.encounter_id, o.code ORDER BY o.effective_at DESC) AS rn
    FROM recent s
    JOIN src_observations o ON o.patient_id = s.patient_id
    WHERE o.code IN ('718-7', '2951-2') AND o.value_num IS NOT NULL
      AND o.effective_at >= s.admitted_at AND o.effective_at <= s.discharged_at
),
last_labs AS (
    SELECT encounter_id,
           max(CASE WHEN code = '718-7' THEN value_num END) AS hemoglobin,
           max(CASE WHEN code = '2951-2' THEN value_num END) AS sodium
    FROM labs WHERE rn = 1 GROUP BY encounter_id
),
procedures AS (
    SELECT DISTINCT s.encounter_id
    FROM recent s
    JOIN src_procedures pr ON pr.patient_id = s.patient_id
    WHERE pr.encounter_id = s.encounter_id
       OR (pr.performed_start >= s.admitted_at AND pr.performed_start <= s.discharged_at)
),
prior AS (
    SELECT s.encounter_id, count(*) AS admissions
    FROM recent s
    JOIN src_encounters e ON e.patient_id = s.patient_id AND e.class_code = 'IMP'
    WHERE e.status NOT IN ('cancelled', 'entered-in-error', 'planned')
      AND e.period_start < s.admitted_at AND e.period_start >= s.admitted_at - INTERVAL 12 MONTH
    GROUP BY s.encounter_id
),
points AS (
    SELECT s.encounter_id, s.patient_id, s.discharge_date, s.los_days, l.hemoglobin, l.sodium,
           coalesce(pa.admissions, 0) AS admissions,
           CASE WHEN l.hemoglobin < 12 THEN 1 ELSE 0 END AS h_points,
           CASE WHEN substr(coalesce(s.reason_code, ''), 1, 1) = 'C'
                  OR substr(coalesce(s.reason_code, ''), 1, 2) IN ('D0', 'D1', 'D2', 'D3', 'D4')
                THEN 2 ELSE 0 END AS o_points,
           CASE WHEN l.sodium < 135 THEN 1 ELSE 0 END AS s_points,
           CASE WHEN pr.encounter_id IS NOT NULL THEN 1 ELSE 0 END AS p_points,
           CASE WHEN s.via_ed THEN 1 ELSE 0 END AS it_points,
           CASE WHEN coalesce(pa.admissions, 0) > 5 THEN 5 WHEN coalesce(pa.admissions, 0) >= 2 THEN 2 ELSE 0 END
             AS a_points,
           CASE WHEN s.los_days >= 5 THEN 2 ELSE 0 END AS l_points
    FROM recent s
    JOIN last_labs l ON l.encounter_id = s.encounter_id
    LEFT JOIN procedures pr ON pr.encounter_id = s.encounter_id
    LEFT JOIN prior pa ON pa.encounter_id = s.encounter_id
    WHERE l.hemoglobin IS NOT NULL AND l.sodium IS NOT NULL
)
SELECT encounter_id, patient_id, discharge_date,
       h_points + o_points + s_points + p_points + it_points + a_points + l_points AS hospital_score,
       CASE WHEN h_points + o_points + s_points + p_points + it_points + a_points + l_points >= 7 THEN 'high'
            WHEN h_points + o_points + s_points + p_points + it_points + a_points + l_points >= 5 THEN 'intermediate'
            ELSE 'low' END AS hospital_band,
       'H hemoglobin ' || CAST(hemoglobin AS VARCHAR) || ' g/dL = ' || CAST(h_points AS VARCHAR)
         || '; O = ' || CAST(o_points AS VARCHAR)
         || '; S sodium ' || CAST(sodium AS VARCHAR) || ' mmol/L = ' || CAST(s_points AS VARCHAR)
         || '; P = ' || CAST(p_points AS VARCHAR) || '; IT = ' || CAST(it_points AS VARCHAR)
         || '; A ' || CAST(admissions AS VARCHAR) || ' admissions in 12 months = ' || CAST(a_points AS VARCHAR)
         || '; L ' || CAST(los_days AS VARCHAR) || ' days = ' || CAST(l_points AS VARCHAR)
         || ' (discharged ' || CAST(discharge_date AS VARCHAR) || ')' AS hospital_evidence
FROM points
