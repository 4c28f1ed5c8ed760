// The messages on the jobs queue. Every job is idempotent: the queue delivers at least once.

/** Fan the events with these seqs out to their webhooks' sequencers (the event log re-drives it). */
export interface FanoutJob {
  kind: "fanout";
  orgId: string;
  seqs: number[];
}

/** One slice of an event's webhooks, for fan-outs too large for one invocation. */
export interface FanoutChunkJob {
  kind: "fanout-chunk";
  orgId: string;
  seq: number;
  chunk: number;
  chunks: number;
}

/** Deliver the ready head(s) of one webhook's sequence; `lease` proves this job is the current holder. */
export interface DrainJob {
  kind: "drain";
  webhookId: string;
  /** The webhook's organization, whose event log holds its events and settings. */
  orgId: string;
  lease: string;
  /** A fan-out watermark read when the job was made (watermarks only grow, so it is never wrong). */
  watermark?: number;
}

export type Job = FanoutJob | FanoutChunkJob | DrainJob;
