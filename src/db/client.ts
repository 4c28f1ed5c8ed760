import { drizzle } from "drizzle-orm/d1";
import { sql, type Column, type SQL } from "drizzle-orm";
import * as schema from "./schema";

export type Database = ReturnType<typeof database>;

export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

/**
 * `column IN (values)` with the whole list bound as one JSON parameter: D1 refuses a statement
 * with more than 100 bound parameters, and a batch of 100 events brings that many seqs, ids or names.
 */
export function inList(column: Column, values: readonly (string | number)[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
