-- Inference-engine and tooling releases from GitHub, newest first; pre-releases and
-- nightly builds (llama.cpp's bNNNN) are flagged, not mixed in.
SELECT i.meta ->> '$.repo'                     AS repo,
       i.meta ->> '$.tag'                      AS tag,
       i.published_at::DATE                    AS released,
       CASE WHEN list_contains(i.flags, 'nightly') THEN 'nightly'
            WHEN list_contains(i.flags, 'prerelease') THEN 'pre-release'
            ELSE 'release' END                 AS channel,
       left(i.summary, 120)                    AS notes
FROM items i
WHERE i.meta ->> '$.repo' IS NOT NULL
ORDER BY i.published_at DESC NULLS LAST
LIMIT 50;
