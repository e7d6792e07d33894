-- Offline notices are taken at delivery from their messages as they are then (src/notify.rs):
-- the claim rewrites a notice's preview, count and newest message (a deleted message's text
-- never leaves; an edit leaves as edited). The replicas' role may now update those three
-- columns too, as it already updates the delivery state; still never insert or delete.
GRANT UPDATE (preview, count, message_id) ON notices TO tutorchat_app;
