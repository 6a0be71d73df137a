-- owingest warehouse, version 2: classification, model registry, human labels.

-- Per-label probabilities beside the labels that 001 reserved in `items`
-- (topics, phase, relevant, model_version). `label_source` says whether the
-- current labels come from the model or from a person (a person wins).
ALTER TABLE items ADD COLUMN topic_probs STRUCT(release DOUBLE, infra DOUBLE, safety DOUBLE);
ALTER TABLE items ADD COLUMN phase_probs STRUCT(baseline DOUBLE, scaling DOUBLE, frontier DOUBLE);
ALTER TABLE items ADD COLUMN label_source VARCHAR;       -- model | human
ALTER TABLE items ADD COLUMN classified_at TIMESTAMPTZ;

-- Every model version that labeled this warehouse, with how it was trained and how it scored.
CREATE TABLE models (
    model_version        VARCHAR PRIMARY KEY,
    registered_at        TIMESTAMPTZ NOT NULL,
    sklearn_version      VARCHAR NOT NULL,
    data_hash            VARCHAR NOT NULL,
    n_train              INTEGER NOT NULL,
    params               JSON NOT NULL,
    cv_metrics           JSON NOT NULL,               -- cross-validation on the training data
    metrics              JSON NOT NULL                -- evaluation on held-out files, when run
);

-- Labels given by people (`owingest label import` / `label review`); they override the model.
CREATE TABLE human_labels (
    item_id              VARCHAR PRIMARY KEY,
    topics               VARCHAR[] NOT NULL,
    phase                VARCHAR NOT NULL,
    labeled_by           VARCHAR NOT NULL,
    labeled_at           TIMESTAMPTZ NOT NULL,
    origin               VARCHAR NOT NULL,            -- import | review
    note                 VARCHAR
);
