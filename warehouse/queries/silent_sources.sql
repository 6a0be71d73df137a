-- Sources that went quiet: no item for more than 4 times their usual publishing interval
-- (the median gap between their last 20 dated items), though their fetches may succeed.
-- A broken scraper looks like this: silence, not an error. (Logic: the source_health view.)
SELECT source_id,
       newest_item_at,
       usual_interval,
       now() - newest_item_at AS silent_for,
       last_success_at
FROM source_health
WHERE health = 'silent'
ORDER BY silent_for DESC;
