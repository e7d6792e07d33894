CREATE OR REPLACE FUNCTION reaction_emojis() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ARRAY['👍', '❤️', '😂', '😮', '😢', '🙏', '👏', '✅']
$$;

COMMENT ON FUNCTION reaction_emojis() IS 'The reactions a message may get, in the order a client offers them: a bounded set of eight, the same list as the server''s api::reactions::REACTIONS (a test compares them). events_rule_reaction refuses any other (HINT unknown_reaction), so psql obeys it too.';
