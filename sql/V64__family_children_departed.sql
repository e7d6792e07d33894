-- A student who left the school (deactivated) concerns no family chat any more: their
-- guardian's chat with the teacher is read-only while no other child of theirs is the
-- teacher's, as after the link ends (the same columns; only who counts changes).

CREATE OR REPLACE VIEW family_children AS
SELECT g.guardian_id, d.teacher_id, g.student_id
FROM guardian_links g
JOIN chats d ON d.student_id = g.student_id AND d.kind = 'direct'
JOIN users s ON s.id = g.student_id AND s.deactivated_at IS NULL
WHERE g.to_position IS NULL;

COMMENT ON VIEW family_children IS 'The children a family chat of (guardian_id, teacher_id) concerns now: the students the guardian is linked to (an open link), still at the school (not deactivated), whose direct chat is with the teacher. The family chat opens for a pair with one (family_chats_open), names them in its header (chat_headers.children), and is read-only while there is none (events_require_writable).';
