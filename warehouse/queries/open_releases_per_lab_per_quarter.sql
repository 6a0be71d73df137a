-- Open-weights releases per lab per quarter (the `releases` events: one row per model family
-- and release, however many items reported it), with the largest size and the licenses.
SELECT coalesce(lab, 'unknown')                                      AS lab,
       strftime(announced_at, '%Y') || '-Q' || quarter(announced_at) AS quarter,
       count(*)                                                      AS releases,
       string_agg(family, ', ' ORDER BY announced_at)                AS families,
       max(total_params_b)                                           AS largest_b,
       list(DISTINCT license ORDER BY license)
           FILTER (WHERE license IS NOT NULL)                        AS licenses,
       sum(n_sources)                                                AS items
FROM releases
WHERE open_weights = 'open' AND announced_at IS NOT NULL
GROUP BY ALL
ORDER BY quarter DESC, releases DESC, lab;
