-- name: charlson_evidence
-- title: What each patient's Charlson score is made of: every counted category with its code, date and weights
-- kind: intermediate
-- source: the categories charlson_counted counts (Quan 2005 coding, Quan 2011 and Charlson 1987 weights)
-- version: 2011.1
-- period: diagnoses known on the as-of date
-- depends: charlson_counted
-- A JSON set per patient with at least one counted category (readers order it:
-- population.schemas.parse_evidence), kept apart from the score so the score itself is one aggregate.
SELECT patient_id,
       '[' || string_agg('{"category":"' || category || '","title":"' || title || '","code":"' || code
                         || '","since":"' || CAST(known_on AS VARCHAR) || '","quan2011":'
                         || CAST(weight_quan2011 AS VARCHAR) || ',"charlson1987":'
                         || CAST(weight_1987 AS VARCHAR) || '}', ',') || ']' AS charlson_evidence
FROM charlson_counted
GROUP BY patient_id
