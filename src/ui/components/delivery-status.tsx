/** @jsxImportSource hono/jsx */
// A delivery's status in words and colour (the words carry the meaning; colour only repeats it).
import type { FC } from "hono/jsx";
import type { DeliveryStatus } from "../../sequencer/records";

/** A status in the page's words. */
export const DELIVERY_STATUS_WORDS: Record<DeliveryStatus, string> = {
  pending: "Pending",
  in_flight: "Sending",
  retrying: "Retrying",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

const TONE: Record<DeliveryStatus, string> = {
  pending: "wait",
  in_flight: "wait",
  retrying: "wait",
  succeeded: "ok",
  failed: "bad",
  cancelled: "wait",
};

export const DeliveryStatusBadge: FC<{ status: DeliveryStatus; statusCode?: number | null }> = ({ status, statusCode }) => (
  <span class={`badge ${TONE[status]}`}>
    {DELIVERY_STATUS_WORDS[status]}
    {statusCode ? ` (${statusCode})` : ""}
  </span>
);
