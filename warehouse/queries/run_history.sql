-- The last 20 runs: how many sources answered, failed or had nothing new, and what was added.
SELECT run_id,
       mode,
       started_at,
       finished_at - started_at   AS took,
       sources_total,
       sources_failed,
       sources_not_modified,
       items_new,
       items_updated
FROM runs
ORDER BY run_id DESC
LIMIT 20;
