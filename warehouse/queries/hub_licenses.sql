-- License mix of each lab's Hub repositories.
SELECT coalesce(s.lab, i.source_id)                   AS lab,
       coalesce(i.meta ->> '$.license', 'unknown')    AS license,
       count(*)                                       AS repos,
       min(i.published_at)::DATE                      AS first_repo,
       max(i.published_at)::DATE                      AS latest_repo
FROM items i JOIN sources s USING (source_id)
WHERE i.kind = 'hf_models'
GROUP BY ALL
ORDER BY lab, repos DESC;
