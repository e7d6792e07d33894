//! S12: what the wall between schools costs the write path. S1 on this build twice, rounds
//! alternating: as it ships, every school table's row-level security policy FORCEd (so that it
//! binds the functions the schema's owner runs too: the topology migrates as an owner that is
//! no superuser) and each row's school its session's; and with the wall taken down on each fresh
//! cluster before its load ([`NO_WALL`]: the policies off, the default a constant). The target:
//! the policies' own cost at most 5 %.

use std::time::Duration;

use super::{Server, WriteCost};
use crate::rounds::Rounds;

/// Every walled table's row-level security off and its `school_id` default a constant.
pub const NO_WALL: &str = "DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT p.polrelid::regclass FROM pg_policy p WHERE p.polname = 'school_wall' LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY, '
                       'ALTER COLUMN school_id SET DEFAULT 1', t);
    END LOOP;
END
$$";

pub async fn s12(
    this: &Server,
    repeat: usize,
    run: Duration,
    senders: &[usize],
) -> anyhow::Result<(WriteCost, Rounds)> {
    super::write_cost(this, repeat, run, senders, ("walled", &[]), ("no wall", &[NO_WALL])).await
}
