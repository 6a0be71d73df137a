-- owingest warehouse, version 3: per-source backoff and a health view.

-- A failing source is not asked again before this time (exponential backoff with
-- jitter, capped at 48 h); NULL once it succeeds.
ALTER TABLE sources ADD COLUMN next_attempt_at TIMESTAMPTZ;

-- One row per source: is it fetching, failing, backing off, or silent? A broken scraper
-- looks like silence, not like an error: a source is `silent` when its newest item is
-- older than 4 times its usual publishing interval (the median gap between its last 20
-- dated items), even though its fetches succeed.
CREATE VIEW source_health AS
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
    SELECT source_id, max(published_at) AS newest_item_at,
           to_seconds(median(epoch(gap))) AS usual_interval
    FROM gaps GROUP BY source_id
)
SELECT s.source_id, s.kind, s.enabled, s.last_status, s.last_success_at, s.last_attempt_at,
       s.consecutive_failures, s.next_attempt_at, s.last_error,
       c.newest_item_at, c.usual_interval,
       CASE
           WHEN NOT s.enabled THEN 'disabled'
           WHEN s.last_attempt_at IS NULL THEN 'never fetched'
           WHEN s.consecutive_failures > 0 AND s.next_attempt_at > now() THEN 'backing off'
           WHEN s.consecutive_failures > 0 THEN 'failing'
           WHEN c.usual_interval IS NOT NULL AND now() - c.newest_item_at > 4 * c.usual_interval THEN 'silent'
           ELSE 'ok'
       END AS health
FROM sources s LEFT JOIN cadence c USING (source_id);
