-- owingest warehouse, version 7: one definition of a source's silence, at any moment.

-- The publishing cadence of each source from its items dated before `ts`: its newest dated
-- item and its usual interval (the median gap between its last 20 dated items).
-- Example: SELECT * FROM source_cadence_at(TIMESTAMPTZ '2026-11-30');
CREATE MACRO source_cadence_at(ts) AS TABLE
WITH dated AS (
    SELECT s.source_id, i.published_at,
           row_number() OVER (PARTITION BY s.source_id ORDER BY i.published_at DESC) AS n
    FROM item_sources s JOIN items i USING (item_id)
    WHERE i.published_at IS NOT NULL AND i.published_at < ts
), gaps AS (
    SELECT source_id, published_at,
           published_at - lead(published_at) OVER (PARTITION BY source_id ORDER BY published_at DESC) AS gap
    FROM dated WHERE n <= 20
)
SELECT source_id, max(published_at) AS newest_item_at,
       to_seconds(median(epoch(gap))) AS usual_interval
FROM gaps GROUP BY source_id;

-- Silent at `ts`: no item for more than 4 times the usual interval. A broken scraper looks
-- like this, though its fetches succeed. The weekly digest asks it as of the week's end.
CREATE MACRO source_silent(newest_item_at, usual_interval, ts) AS
    usual_interval IS NOT NULL AND ts - newest_item_at > 4 * usual_interval;

-- The view of version 3, same columns, now built on the two macros. Its cadence counts every
-- dated item, as before, including one dated a little ahead of the clock (time zones).
CREATE OR REPLACE VIEW source_health AS
SELECT s.source_id, s.kind, s.enabled, s.last_status, s.last_success_at, s.last_attempt_at,
       s.consecutive_failures, s.next_attempt_at, s.last_error,
       c.newest_item_at, c.usual_interval,
       CASE
           WHEN NOT s.enabled THEN 'disabled'
           WHEN s.last_attempt_at IS NULL THEN 'never fetched'
           WHEN s.consecutive_failures > 0 AND s.next_attempt_at > now() THEN 'backing off'
           WHEN s.consecutive_failures > 0 THEN 'failing'
           WHEN source_silent(c.newest_item_at, c.usual_interval, now()) THEN 'silent'
           ELSE 'ok'
       END AS health
FROM sources s LEFT JOIN source_cadence_at('infinity'::TIMESTAMPTZ) c USING (source_id);
