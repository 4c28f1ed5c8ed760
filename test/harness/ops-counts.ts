// The billable operations ops-meter.ts prints and the benchmark (bench/ops.ts) sums. Kept free of
// Worker types so the benchmark's Node code can share it.

export interface OpCounts {
  workerInvocations?: number;
  queueWrites?: number;
  queueReads?: number;
  queueDeletes?: number;
  doRequests?: number;
  doRowsRead?: number;
  doRowsWritten?: number;
  /** setAlarm/deleteAlarm: stored in the object's SQLite, billed as a row written each. */
  doAlarmWrites?: number;
  d1RowsRead?: number;
  d1RowsWritten?: number;
}

/** Each counted operation is printed as this prefix and the JSON of its counts. */
export const OPS_LOG_PREFIX = "[ops] ";
