-- How long after a release vLLM supported it: days from the release's first-seen date to the
-- first vLLM release note linked to it (engine-support), per year and overall. Negative days
-- mean vLLM shipped support before the release was public.
WITH support AS (
    SELECT r.release_id, r.family, r.announced_at,
           min(i.published_at)                                          AS vllm_at
    FROM releases r
    JOIN release_sources s ON s.release_id = r.release_id AND s.role = 'engine-support'
    JOIN items i ON i.item_id = s.item_id AND i.source_id = 'vllm-releases'
    WHERE r.announced_at IS NOT NULL AND i.published_at IS NOT NULL
    GROUP BY ALL
)
SELECT coalesce(CAST(year(announced_at) AS VARCHAR), 'all')             AS year,
       count(*)                                                         AS releases,
       median(date_diff('day', announced_at, vllm_at))                  AS median_days,
       min(date_diff('day', announced_at, vllm_at))                     AS fastest_days,
       max(date_diff('day', announced_at, vllm_at))                     AS slowest_days,
       string_agg(family, ', ' ORDER BY announced_at)                   AS families
FROM support
GROUP BY ROLLUP (year(announced_at))
ORDER BY year;
