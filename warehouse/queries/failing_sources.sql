-- Sources whose last attempt failed, longest-failing first, with the error.
SELECT source_id,
       kind,
       consecutive_failures,
       last_status,
       last_error,
       last_success_at,
       last_attempt_at
FROM sources
WHERE consecutive_failures > 0
ORDER BY consecutive_failures DESC, source_id;
