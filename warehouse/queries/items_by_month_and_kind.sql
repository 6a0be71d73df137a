-- Items per month of publication and per source kind, with the share that has no date.
SELECT strftime(date_trunc('month', published_at), '%Y-%m')   AS month,
       count(*) FILTER (WHERE kind = 'feed')                   AS feed_items,
       count(*) FILTER (WHERE kind = 'hf_models')              AS hub_repos,
       count(*) FILTER (WHERE kind = 'html')                   AS page_items
FROM items
GROUP BY ALL
ORDER BY month DESC NULLS FIRST;
