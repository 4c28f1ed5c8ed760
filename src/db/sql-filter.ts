/**
 * A `WHERE` clause (or nothing) for the given column = value pairs, skipping those without a value,
 * with its bound values: for the Durable Objects' SQLite lists, which filter on optional fields.
 */
export function whereEqual(filters: Record<string, string | number | undefined>): { clause: string; args: (string | number)[] } {
  const given = Object.entries(filters).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== "");
  return {
    clause: given.length ? `WHERE ${given.map(([column]) => `${column} = ?`).join(" AND ")}` : "",
    args: given.map(([, value]) => value),
  };
}
