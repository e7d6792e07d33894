-- Who left the school hears nothing more from it.
--
-- users_departed: the people who left (deactivated), a handful of the school. The outbox
-- (events_after_insert) writes a notice to nobody among them: one probe of this index per
-- recipient of a message, which stays as small as the departures are few, next to the
-- probes presence_online makes already.

CREATE INDEX users_departed ON users (id) WHERE deactivated_at IS NOT NULL;
