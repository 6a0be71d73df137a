-- New Hugging Face Hub repositories per lab per month (by the repository's createdAt),
-- split into originals and derivatives (fine-tunes, quantizations, distillations).
SELECT coalesce(s.lab, i.source_id)                              AS lab,
       strftime(date_trunc('month', i.published_at), '%Y-%m')     AS month,
       count(*)                                                   AS repos,
       count(*) FILTER (WHERE json_array_length(i.meta -> '$.base_models') = 0) AS originals,
       count(*) FILTER (WHERE json_array_length(i.meta -> '$.base_models') > 0) AS derivatives
FROM items i JOIN sources s USING (source_id)
WHERE i.kind = 'hf_models' AND i.published_at IS NOT NULL
GROUP BY ALL
ORDER BY month DESC, repos DESC;
