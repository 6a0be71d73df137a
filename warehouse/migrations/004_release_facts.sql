-- owingest warehouse, version 4: the release facts each item states (owingest extract).

-- One row per item that names a known model family (or is a Hub repository): what it says
-- about the release. NULL where the item does not say. Linking these into one row per
-- release event is future work.
CREATE TABLE item_facts (
    item_id              VARCHAR PRIMARY KEY,
    lab                  VARCHAR,
    family               VARCHAR,
    models               VARCHAR[],
    total_params_b       DOUBLE,                   -- billions
    active_params_b      DOUBLE,                   -- billions, mixture-of-experts only
    context_tokens       BIGINT,
    license              VARCHAR,                  -- SPDX id, else a slug (llama3.1-community, gemma, proprietary)
    open_weights         VARCHAR,                  -- open | restricted | closed
    modalities           VARCHAR[],
    reasoning            BOOLEAN,
    extracted_at         TIMESTAMPTZ NOT NULL
);
