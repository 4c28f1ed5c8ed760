// The settings a sequencer applies itself: how many attempts a delivery gets (an interrupted one
// counts as one) and how long a final delivery is kept. Read here rather than from delivery (a
// layer above), until src/config.ts reads every setting typed.
import { numberSetting, retentionMs, type Env } from "../env";

export function sequencerSettings(env: Pick<Env, "MAX_RETRIES" | "RETENTION_DAYS">) {
  return {
    maxAttempts: 1 + numberSetting(env.MAX_RETRIES, 3),
    /** How long a final delivery (and its attempt log) is kept after its last change. */
    retentionMs: retentionMs(env),
  };
}
