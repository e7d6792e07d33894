//! Pages of a list kept newest first by id (reports, access records): `limit` rows before the
//! id of the previous page's last row, which is the page's `next_cursor`.

use crate::{AppError, Result};

/// The page asked for: the id to read before (all: `i64::MAX`) and how many, 1 to `max`
/// (`default` when not given). A cursor this API did not give out is 422.
pub fn page(before: Option<&str>, limit: Option<i64>, default: i64, max: i64) -> Result<(i64, i64)> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {max} (got {limit})")));
    }
    let before =
        match before {
            None => i64::MAX,
            Some(cursor) => cursor.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| {
                AppError::Unprocessable(format!("before {cursor:?} is not a cursor this API gave out"))
            })?,
        };
    Ok((before, limit))
}

/// Cuts `rows` (read with one more than `limit`) to the page, and answers the next page's
/// cursor: the last row's id, when there is more.
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Option<String> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(limit as usize);
    rows.last().map(|row| id(row).to_string())
}
