// The platform's log: one JSON object per line (Workers Logs indexes each field), with the ids of
// what it is about. Errors are rendered by `describeError` only: drizzle's query errors carry the
// statement's bound values (a signing secret, a key hash), so only the driver's own message is kept.

/** What a line may say besides its message. Never a key, a secret or a request body. */
export interface LogFields {
  orgId?: string;
  webhookId?: string;
  eventId?: string;
  deliveryId?: string;
  attempt?: number;
  outcome?: string;
  durationMs?: number;
  error?: unknown;
  [field: string]: unknown;
}

type Level = "info" | "warn" | "error";

// The console method per level, so the dashboard's level filter agrees with `level`.
const write: Record<Level, (line: string) => void> = {
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

function emit(level: Level, message: string, fields: LogFields = {}) {
  const { error, ...rest } = fields;
  write[level](JSON.stringify({ level, message, ...rest, ...(error === undefined ? {} : { error: describeError(error) }) }));
}

export const log = {
  info: (message: string, fields?: LogFields) => emit("info", message, fields),
  warn: (message: string, fields?: LogFields) => emit("warn", message, fields),
  error: (message: string, fields?: LogFields) => emit("error", message, fields),
};

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const message = cause && /^Failed query:/.test(error.message) ? `query failed: ${cause.message}` : error.message;
  return `${error.name}: ${message}`;
}
