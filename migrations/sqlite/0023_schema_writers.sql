-- Which Relais binaries brought this database to which schema: an older binary started
-- on a newer schema names the release that migrated it, and the studio's system page
-- shows the history of upgrades.
CREATE TABLE schema_writers (
    schema_version BIGINT NOT NULL,
    relais_version TEXT NOT NULL,
    commit_id      TEXT NOT NULL,
    first_at       BIGINT NOT NULL,
    PRIMARY KEY (schema_version, relais_version, commit_id)
);
