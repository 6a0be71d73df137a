-- owingest warehouse, version 5: release events (owingest.releases).

-- Rebuilt whole, in the transaction of every ingest and reparse, from item_facts and items:
-- the items that report one release (the lab's post, its Hub repositories, news, engine
-- release notes) linked into one row per (model family, release). Each field is the value
-- of one source item (release_field_values.chosen), never a blend of several.
CREATE TABLE releases (
    release_id           VARCHAR PRIMARY KEY,      -- family slug @ first-seen day, e.g. deepseek-v3@2024-12-25
    lab                  VARCHAR,
    family               VARCHAR,
    models               VARCHAR[],                -- named by its announcements and weights
    announced_at         TIMESTAMPTZ,              -- first seen: earliest announcement, weights or coverage item
    total_params_b       DOUBLE,                   -- billions, the largest model of the release
    active_params_b      DOUBLE,                   -- billions, mixture-of-experts only
    context_tokens       BIGINT,
    license              VARCHAR,                  -- SPDX id, else a slug (llama3.1-community, gemma, proprietary)
    open_weights         VARCHAR,                  -- open | restricted | closed
    modalities           VARCHAR[],
    reasoning            BOOLEAN,
    n_sources            INTEGER,                  -- items linked, every role
    first_source_url     VARCHAR,                  -- the item first seen
    first_item_id        VARCHAR,
    n_conflicts          INTEGER,                  -- fields whose sources disagree (release_conflicts)
    built_at             TIMESTAMPTZ NOT NULL
);

-- Which items report which release, and how.
CREATE TABLE release_sources (
    release_id           VARCHAR NOT NULL,
    item_id              VARCHAR NOT NULL,
    role                 VARCHAR NOT NULL CHECK (role IN
                             ('announcement', 'weights', 'engine-support', 'derivative', 'coverage')),
    PRIMARY KEY (release_id, item_id)
);

-- Every value each linked item states for each field of its release (derivatives state
-- none), as JSON text; `chosen` marks the one the releases row shows.
CREATE TABLE release_field_values (
    release_id           VARCHAR NOT NULL,
    field                VARCHAR NOT NULL,
    value                VARCHAR NOT NULL,         -- JSON: 671.0, "mit", ["text","vision"], true
    item_id              VARCHAR NOT NULL,
    role                 VARCHAR NOT NULL,
    chosen               BOOLEAN NOT NULL,
    PRIMARY KEY (release_id, field, item_id)
);

-- Fields on which a release's sources disagree, with every value and who stated it. Sizes
-- are compared between the texts about the release only (each Hub repository is one size).
CREATE VIEW release_conflicts AS
SELECT release_id, field,
       count(DISTINCT value)                                           AS n_values,
       list(DISTINCT value ORDER BY value)                             AS "values",
       max(value) FILTER (WHERE chosen)                                AS chosen_value,
       list(struct_pack(value := value, item_id := item_id, role := role)
            ORDER BY value, item_id)                                   AS stated_by
FROM release_field_values
WHERE NOT (field IN ('total_params_b', 'active_params_b') AND role = 'weights')
GROUP BY release_id, field
HAVING count(DISTINCT value) > 1;
