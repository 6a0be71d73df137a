-- Stories that more than one source carried (matched by canonical URL or content fingerprint).
SELECT i.title,
       i.published_at::DATE      AS published,
       len(i.sources)            AS n_sources,
       i.sources,
       i.url
FROM items i
WHERE len(i.sources) > 1
ORDER BY n_sources DESC, i.published_at DESC NULLS LAST;
