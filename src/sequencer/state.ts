// A sequencer's own values, one row per key in its state table and mirrored in memory: every call
// reads them, so storage is read once per object. Each value has its accessor here, so its key and
// type are written down once.
import { STATE_TABLE } from "./schema";
import type { DeliveryKey } from "./delivery-id";
import type { Recovery } from "./records";

/** A lease as stored for a queued job (lease.ts says when it is). */
export interface StoredLease {
  token: string;
  until: number;
}

type Key = "webhook_id" | "org_id" | "webhook_version" | "lease" | "failure_run" | "open_bound" | "raced" | "recovery";

export class SequencerState {
  private readonly values = new Map<Key, SqlStorageValue>();

  constructor(private readonly sql: SqlStorage) {
    this.create();
  }

  /** Creates the table if missing (again after storage was wiped, so late calls find it) and reads it. */
  create() {
    this.sql.exec(STATE_TABLE);
    this.load();
  }

  /** Reads the table again: after a transaction that wrote to it rolled back. */
  load() {
    this.values.clear();
    for (const row of this.sql.exec<{ key: Key; value: SqlStorageValue }>(`SELECT key, value FROM state`)) this.values.set(row.key, row.value);
  }

  /** The webhook this sequencer is for; null until its first append. */
  get webhookId(): string | null {
    return this.get("webhook_id") as string | null;
  }

  /** The webhook's organization; null until its first append. */
  get orgId(): string | null {
    return this.get("org_id") as string | null;
  }

  setWebhook(webhookId: string, orgId: string) {
    this.set("webhook_id", webhookId);
    this.set("org_id", orgId);
  }

  /** Changes each time the webhook's settings change. */
  get webhookVersion(): number {
    return Number(this.get("webhook_version") ?? 0);
  }

  webhookChanged() {
    this.set("webhook_version", this.webhookVersion + 1);
  }

  get lease(): StoredLease | null {
    const stored = this.get("lease");
    return typeof stored === "string" ? (JSON.parse(stored) as StoredLease) : null;
  }

  storeLease(lease: StoredLease) {
    this.set("lease", JSON.stringify(lease));
  }

  deleteLease() {
    this.delete("lease");
  }

  /** The run of failed deliveries and the news it owes, as failure-run.ts keeps it; null: none. */
  get failureRun(): string | null {
    return this.get("failure_run") as string | null;
  }

  storeFailureRun(value: string | null) {
    if (value !== null) this.set("failure_run", value);
    else if (this.get("failure_run") !== null) this.delete("failure_run");
  }

  /** No open delivery sorts before this key (deliveries-table.ts); null: none written yet. */
  get openBound(): DeliveryKey | null {
    const stored = this.get("open_bound");
    return typeof stored === "string" ? (JSON.parse(stored) as DeliveryKey) : null;
  }

  storeOpenBound(key: DeliveryKey) {
    this.set("open_bound", JSON.stringify({ seq: key.seq, position: key.position }));
  }

  /** The recovery that goes on at the next alarm; null: none. */
  get recovery(): Recovery | null {
    const stored = this.get("recovery");
    return typeof stored === "string" ? (JSON.parse(stored) as Recovery) : null;
  }

  storeRecovery(recovery: Recovery | null) {
    if (recovery) this.set("recovery", JSON.stringify(recovery));
    else if (this.get("recovery") !== null) this.delete("recovery");
  }

  /** Whether an append raced since the deliveries were last all final (deliveries-table.ts). */
  get raced(): boolean {
    return this.get("raced") === 1;
  }

  storeRaced(raced: boolean) {
    if (raced) this.set("raced", 1);
    else if (this.raced) this.delete("raced");
  }

  private get(key: Key): SqlStorageValue {
    return this.values.get(key) ?? null;
  }

  private delete(key: Key) {
    this.sql.exec(`DELETE FROM state WHERE key = ?`, key);
    this.values.delete(key);
  }

  /** Writes only a changed value: rows written are what storage bills. */
  private set(key: Key, value: string | number) {
    if (this.get(key) === value) return;
    this.sql.exec(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
    this.values.set(key, value);
  }
}
