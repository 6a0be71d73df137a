-- New items first seen this ISO week (Monday 00:00 UTC onward), per source.
-- Usage: duckdb -readonly warehouse/owingest.duckdb -f warehouse/queries/new_items_this_week_by_source.sql
SELECT s.source_id,
       s.kind,
       s.lab,
       count(i.item_id)       AS new_items,
       max(i.published_at)    AS newest_published
FROM sources s
LEFT JOIN items i
       ON i.source_id = s.source_id
      AND i.first_seen_at >= date_trunc('week', now())
GROUP BY ALL
ORDER BY new_items DESC, s.source_id;
