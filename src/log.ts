// What may be logged about a failure. Drizzle's query errors carry the statement's bound values
// (which can be a signing secret or a key hash), so only the driver's own message is kept.

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const message = cause && /^Failed query:/.test(error.message) ? `query failed: ${cause.message}` : error.message;
  return `${error.name}: ${message}`;
}
