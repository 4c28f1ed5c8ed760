// The delivery log's shapes (what the sequencer records), for the API, its OpenAPI and the page.
import { z } from "@hono/zod-openapi";
import { DELIVERY_STATUSES } from "../sequencer/records";
import { EpochMs } from "./common";

export const DeliveryStatus = z.enum(DELIVERY_STATUSES).openapi({
  description: "pending: waiting its turn; in_flight: being sent; retrying: failed, next attempt at nextAttemptAt; succeeded, failed, cancelled: final",
});

export const Delivery = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    origin: z.enum(["event", "redelivery"]),
    status: DeliveryStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.number().int().nullable(),
    created: z.number().int(),
    updated: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("Delivery");

export const Attempt = z
  .object({
    attempt: z.number().int(),
    started: z.number().int(),
    durationMs: z.number().int(),
    statusCode: z.number().int().nullable(),
    errorKind: z.enum(["timeout", "connection", "redirect", "refused_url"]).nullable(),
    error: z.string().nullable(),
    responseBody: z.string().nullable().openapi({ description: "The first 4 KB of the answer" }),
    outcome: z.enum(["succeeded", "retry", "failed"]),
  })
  .openapi("Attempt");

export const DeliveryWithAttempts = Delivery.extend({ attemptLog: z.array(Attempt) }).openapi("DeliveryWithAttempts");

const SINCE_REASON = "must be epoch milliseconds or an RFC 3339 date-time such as 2026-11-23T00:00:00Z";
const IsoDateTime = z.iso.datetime({ offset: true });
/** RFC 3339 (the document's date-time) lets T and Z be written in lower case; ISO 8601 and zod do not. */
const DateTime = z
  .string()
  .toUpperCase()
  .refine((value) => IsoDateTime.safeParse(value).success, SINCE_REASON)
  .openapi({ format: "date-time" });

/** Recover: every event whose last delivery since a time failed or was cancelled is sent again, once. */
export const Recover = z
  .strictObject({
    since: z.union([EpochMs, DateTime], { error: SINCE_REASON }),
  })
  .openapi("Recover", { example: { since: 1460385534555 } });

export const recoverFrom = ({ since }: z.infer<typeof Recover>) => (typeof since === "number" ? since : Date.parse(since));
