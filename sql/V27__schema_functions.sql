-- Which version of sql/functions/ the database's functions and triggers are: the digest of
-- those files, written by the migrating role after it applied them (`db::migrate`). A replica
-- whose role may not migrate compares it with its own and refuses to start on functions of
-- another build; a migrating one skips re-applying files that have not changed.

CREATE TABLE schema_functions (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    digest     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON schema_functions TO tutorchat_app;
