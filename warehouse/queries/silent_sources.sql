-- Sources that went quiet: no item published for more than three times their usual
-- gap (the median gap between their last 20 dated items), even if fetches succeed.
WITH dated AS (
    SELECT s.source_id, i.published_at,
           row_number() OVER (PARTITION BY s.source_id ORDER BY i.published_at DESC) AS n
    FROM item_sources s JOIN items i USING (item_id)
    WHERE i.published_at IS NOT NULL
), gaps AS (
    SELECT source_id, published_at,
           published_at - lead(published_at) OVER (PARTITION BY source_id ORDER BY published_at DESC) AS gap
    FROM dated WHERE n <= 20
), cadence AS (
    SELECT source_id,
           max(published_at)                              AS newest,
           to_seconds(median(epoch(gap)))                 AS usual_gap
    FROM gaps GROUP BY source_id
)
SELECT c.source_id,
       c.newest,
       c.usual_gap,
       now() - c.newest AS silent_for,
       s.last_success_at
FROM cadence c JOIN sources s USING (source_id)
WHERE s.enabled AND c.usual_gap IS NOT NULL AND now() - c.newest > 3 * c.usual_gap
ORDER BY silent_for DESC;
