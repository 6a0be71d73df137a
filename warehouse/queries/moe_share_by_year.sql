-- Share of open-weights releases that are mixtures of experts (an active parameter count
-- below the total), by year, among the releases whose size is known.
SELECT year(announced_at)                                                 AS year,
       count(*)                                                           AS sized_releases,
       count(*) FILTER (WHERE active_params_b < total_params_b)           AS moe_releases,
       round(100.0 * count(*) FILTER (WHERE active_params_b < total_params_b) / count(*), 1)
                                                                          AS moe_share_pct,
       string_agg(family, ', ' ORDER BY announced_at)
           FILTER (WHERE active_params_b < total_params_b)                AS moe_families
FROM releases
WHERE open_weights = 'open' AND total_params_b IS NOT NULL AND announced_at IS NOT NULL
GROUP BY ALL
ORDER BY year;
