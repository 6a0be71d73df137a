-- Open-weights model families per lab per quarter, as the items that announce or carry them
-- state it (item_facts, read by `owingest extract`): largest size, license, first seen.
SELECT coalesce(f.lab, 'unknown')                                   AS lab,
       strftime(date_trunc('quarter', min(i.published_at)), '%Y-Q') ||
           quarter(min(i.published_at))                             AS quarter,
       f.family,
       max(f.total_params_b)                                        AS largest_b,
       max(f.active_params_b)                                       AS largest_active_b,
       mode(f.license)                                              AS license,
       count(DISTINCT i.item_id)                                    AS items,
       min(i.published_at)::DATE                                    AS first_seen
FROM item_facts f JOIN items i USING (item_id)
WHERE f.open_weights = 'open' AND f.family IS NOT NULL AND i.published_at IS NOT NULL
GROUP BY f.lab, f.family
ORDER BY first_seen DESC;
