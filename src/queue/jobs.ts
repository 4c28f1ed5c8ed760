// The messages on the jobs queue. Every job is idempotent: the queue delivers at least once.

/** Fan the events with these seqs out to their webhooks' sequencers (the event log re-drives it). */
export interface FanoutJob {
  kind: "fanout";
  orgId: string;
  seqs: number[];
}

/**
 * One slice of an event's webhooks, for fan-outs too large for one invocation: webhooks
 * [chunk × size, (chunk + 1) × size) of `chunks`. The size it was cut with travels with it, so a
 * change of FANOUT_CHUNK_SIZE while it waits cannot make it cover another slice.
 */
export interface FanoutChunkJob {
  kind: "fanout-chunk";
  orgId: string;
  seq: number;
  chunk: number;
  chunks: number;
  size: number;
}

/** Deliver the ready head(s) of one webhook's sequence; `lease` proves this job is the current holder. */
export interface DrainJob {
  kind: "drain";
  webhookId: string;
  /** The webhook's organization, whose event log holds its events and settings. */
  orgId: string;
  lease: string;
  /** The delivery the sequencer handed out with the lease (a drain claimed by a fan-out; never queued). */
  first?: DeliverStep;
}

export type Job = FanoutJob | FanoutChunkJob | DrainJob;

/** A delivery a sequencer handed out: the holder sends it and reports (defined here as a drain job can carry one). */
export interface DeliverStep {
  action: "deliver";
  lease: string;
  delivery: { id: string; eventId: string; attempt: number; seq: number };
  /** Changes each time the webhook's settings change: a drain re-reads the webhook when it does. */
  webhookVersion: number;
  /** When it was handed out: its lease runs out LEASE_SECONDS after, unless the holder calls again. */
  handedOutAt: number;
  /** When the webhook's last reported attempt started (null: not known to the sequencer now): a throttled drain paces from it. */
  previousAttemptAt: number | null;
  /** With `lookahead`: the events of the next open deliveries, to read with this one's. */
  upcomingEventIds: string[];
}
