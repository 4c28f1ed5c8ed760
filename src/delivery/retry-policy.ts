// The seed's response-code table: 2xx succeeds; 5xx, a timeout or a connection error is retried
// (three times, RETRY_DELAY_SECONDS apart); anything else (1xx, 3xx, 4xx) fails at once.
import type { AttemptResult, Outcome } from "../sequencer/records";

export function isRetryable(result: AttemptResult): boolean {
  if (result.statusCode !== null) return result.statusCode >= 500 && result.statusCode <= 599;
  return result.errorKind === "timeout" || result.errorKind === "connection";
}

/** What attempt number `attempt` (1-based) leads to. */
export function outcomeOf(result: AttemptResult, attempt: number, maxAttempts: number): Outcome {
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode <= 299) return "succeeded";
  return isRetryable(result) && attempt < maxAttempts ? "retry" : "failed";
}
