// The seed's response-code table against a real receiver: 2xx succeeds, 5xx/timeouts/connection
// errors are retried (three times), anything else fails at once. RETRY_DELAY_SECONDS is 1 here.
import { describe, expect, it } from "vitest";
import { deliveryDetail, enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receiverUrl } from "./delivery-helpers";

const bucket = () => crypto.randomUUID();

async function deliverOnce(script: string, url?: string) {
  const tenant = await producerTenant();
  const b = bucket();
  const hook = await enabledWebhook(tenant, url ?? receiverUrl(b, script));
  const posted = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
  expect(posted.status).toBe(202);
  const [delivery] = await finalDeliveries(tenant, hook.id, 1, 40_000);
  const detail = await deliveryDetail(tenant, hook.id, delivery.id);
  return { delivery, detail, requests: await received(b) };
}

describe.concurrent("retries", () => {
  it("retries a 500 once and succeeds on the 200 that follows", async () => {
    const { delivery, detail, requests } = await deliverOnce("500,200");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(detail.attemptLog.map((a: any) => [a.statusCode, a.outcome])).toEqual([
      [500, "retry"],
      [200, "succeeded"],
    ]);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(1000);
    expect(requests[1]!.headers["webhook-id"]).toBe(requests[0]!.headers["webhook-id"]);
  });

  it("makes exactly four attempts at a receiver that always answers 503, then fails", async () => {
    const { delivery, detail, requests } = await deliverOnce("503");
    expect(delivery).toMatchObject({ status: "failed", attempts: 4, lastStatusCode: 503 });
    expect(detail.attemptLog.map((a: any) => a.outcome)).toEqual(["retry", "retry", "retry", "failed"]);
    expect(requests).toHaveLength(4);
  });

  it("fails a 404 after one attempt", async () => {
    const { delivery, requests } = await deliverOnce("404");
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 404 });
    expect(requests).toHaveLength(1);
  });

  it("fails a 302 after one attempt without following it", async () => {
    const { delivery, detail, requests } = await deliverOnce("redirect");
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 302 });
    expect(detail.attemptLog[0]).toMatchObject({ errorKind: "redirect", statusCode: 302 });
    expect(requests).toHaveLength(1);
  });

  it("times out a receiver that never answers after 3 s, and retries", async () => {
    const { delivery, detail } = await deliverOnce("hang,200");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(detail.attemptLog[0]).toMatchObject({ errorKind: "timeout", statusCode: null, outcome: "retry" });
    expect(detail.attemptLog[0].durationMs).toBeGreaterThanOrEqual(2900);
    expect(detail.attemptLog[0].durationMs).toBeLessThan(5000);
  });

  it.for(["stall", "stall-sized"])("times out a receiver that sends headers and then stalls the body (%s), and retries", async (stall) => {
    const { delivery, detail } = await deliverOnce(`${stall},200`);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(detail.attemptLog[0]).toMatchObject({ errorKind: "timeout", outcome: "retry" });
    expect(detail.attemptLog[0].error).toMatch(/body/);
  });

  it("logs the first 4 KB of a longer answer", async () => {
    const { delivery, detail } = await deliverOnce("big");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(detail.attemptLog[0].responseBody).toBe("x".repeat(4096));
  });

  it("retries a refused connection and fails after four attempts", async () => {
    const { delivery, detail } = await deliverOnce("", "http://127.0.0.1:9/refused");
    expect(delivery).toMatchObject({ status: "failed", attempts: 4 });
    expect(detail.attemptLog.every((a: any) => a.errorKind === "connection")).toBe(true);
  });

  it("retries a connection reset by the receiver", async () => {
    const { delivery, detail } = await deliverOnce("reset,200");
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(detail.attemptLog[0]).toMatchObject({ errorKind: "connection", outcome: "retry" });
  });
});
