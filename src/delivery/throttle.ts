// The per-webhook throttle: a webhook with a rateLimit (deliveries per second) gets each attempt at
// least 1/rateLimit s after the one before. Its drain, the only sender while it holds the lease,
// waits before sending; the previous attempt's start comes from the sequencer, so the pace holds
// across drain turns and across the webhook going idle and waking. Order is untouched: the drain
// still sends one at a time, and other webhooks' drains never wait on this one.

/** Waits until an attempt at `rateLimit` per second may start after one that started at `previousAttemptAt`. */
export async function awaitTurn(rateLimit: number | null, previousAttemptAt: number | null): Promise<void> {
  if (!rateLimit || previousAttemptAt === null) return;
  const wait = previousAttemptAt + 1000 / rateLimit - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
