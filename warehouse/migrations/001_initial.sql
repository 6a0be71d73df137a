-- owingest warehouse, version 1. All timestamps are UTC (TIMESTAMPTZ).

-- One row per configured source, with its fetch state and health.
CREATE TABLE sources (
    source_id            VARCHAR PRIMARY KEY,
    kind                 VARCHAR NOT NULL,          -- feed | hf_models | html
    url                  VARCHAR NOT NULL,
    name                 VARCHAR,
    lab                  VARCHAR,
    tags                 VARCHAR[],
    enabled              BOOLEAN NOT NULL,
    etag                 VARCHAR,                   -- validators for the next conditional GET
    last_modified        VARCHAR,
    last_status          INTEGER,                   -- last HTTP status (NULL: no answer)
    last_attempt_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           VARCHAR                    -- NULL once the source succeeds again
);

-- One row per ingest run.
CREATE TABLE runs (
    run_id               VARCHAR PRIMARY KEY,       -- sortable: 20261130T071500Z-ab12cd
    started_at           TIMESTAMPTZ NOT NULL,
    finished_at          TIMESTAMPTZ NOT NULL,
    mode                 VARCHAR NOT NULL,          -- live | replay | reparse
    sources_total        INTEGER NOT NULL,
    sources_failed       INTEGER NOT NULL,
    sources_not_modified INTEGER NOT NULL,
    items_new            INTEGER NOT NULL,
    items_updated        INTEGER NOT NULL
);

-- One row per source per run.
CREATE TABLE fetches (
    run_id               VARCHAR NOT NULL,
    source_id            VARCHAR NOT NULL,
    url                  VARCHAR NOT NULL,
    started_at           TIMESTAMPTZ NOT NULL,
    finished_at          TIMESTAMPTZ NOT NULL,
    http_status          INTEGER,
    not_modified         BOOLEAN NOT NULL,
    attempts             INTEGER NOT NULL,
    documents            INTEGER NOT NULL,          -- pages, listing and articles fetched
    bytes                BIGINT NOT NULL,
    items_seen           INTEGER NOT NULL,
    items_new            INTEGER NOT NULL,
    items_updated        INTEGER NOT NULL,
    error                VARCHAR,                   -- "fetch: HTTP 404 Not Found", "parse: ..."
    transient            BOOLEAN,                   -- would a retry later help?
    problems             VARCHAR[],                 -- worked around: ill-formed XML, skipped entries
    PRIMARY KEY (run_id, source_id)
);

-- Every fetched body, compressed, once per distinct content.
CREATE TABLE raw_documents (
    sha256               VARCHAR PRIMARY KEY,       -- of the uncompressed body
    size_bytes           BIGINT NOT NULL,
    compression          VARCHAR NOT NULL,          -- gzip
    body                 BLOB NOT NULL,
    first_fetched_at     TIMESTAMPTZ NOT NULL
);

-- Which body each source got for each URL in each run (for `owingest reparse`).
CREATE TABLE documents (
    run_id               VARCHAR NOT NULL,
    source_id            VARCHAR NOT NULL,
    url                  VARCHAR NOT NULL,
    final_url            VARCHAR NOT NULL,
    role                 VARCHAR NOT NULL,          -- listing | article
    seq                  INTEGER NOT NULL,          -- page order within the run
    content_type         VARCHAR,
    sha256               VARCHAR NOT NULL,
    fetched_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, source_id, url)
);

-- One row per unique item. Classification columns stay NULL until a classifier fills them.
CREATE TABLE items (
    item_id              VARCHAR PRIMARY KEY,       -- from the canonical URL, else guid, else text
    source_id            VARCHAR NOT NULL,          -- the first source that carried it
    sources              VARCHAR[] NOT NULL,        -- every source that carried it
    kind                 VARCHAR NOT NULL,          -- kind of the first source
    url                  VARCHAR,                   -- canonical URL
    guid                 VARCHAR,
    title                VARCHAR NOT NULL,
    summary              VARCHAR NOT NULL,          -- plain text
    author               VARCHAR,
    published_at         TIMESTAMPTZ,               -- NULL when no source gave a date
    published_origin     VARCHAR,                   -- where published_at came from
    date_candidates      STRUCT(value TIMESTAMPTZ, origin VARCHAR)[],
    categories           VARCHAR[],
    flags                VARCHAR[],                 -- prerelease, nightly
    meta                 JSON,                      -- kind-specific: Hub tags, release tag, ...
    fingerprint          VARCHAR,                   -- same story across sources
    content_hash         VARCHAR NOT NULL,
    first_seen_at        TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    topics               VARCHAR[],
    phase                VARCHAR,
    relevant             BOOLEAN,
    model_version        VARCHAR
);

-- Every (item, source) pair, with when that source first carried the item.
CREATE TABLE item_sources (
    item_id              VARCHAR NOT NULL,
    source_id            VARCHAR NOT NULL,
    url                  VARCHAR,
    first_seen_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, source_id)
);
