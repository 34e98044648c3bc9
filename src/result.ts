// The one result convention: an operation that can fail in an expected way returns a value, not a
// throw, shaped `{ ok: true, value } | { ok: false, error }`. The API's Result, the CI forges'
// Reply and the dialect's Reading are this type with their own error.

/** Success with a value, or failure with an error, as a value. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
