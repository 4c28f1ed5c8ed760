// Webhooks that look after themselves, on the real `wrangler dev` with small thresholds (three
// failed deliveries in a row over 1.8 s), one retry a second after the first attempt, and real
// receivers: a receiver that always answers 503 gets its webhook disabled, the organization's
// operational webhook hears it once, later events are not attempted while a healthy webhook keeps
// receiving; a 410 disables at once and enabling again delivers again; a throttled webhook keeps
// its pace while another runs at full speed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { startDevServer, seedTenant, type DevServer, until } from "../support/dev-server";
import { startReceiver, type Receiver } from "../support/receiver";

let server: DevServer;
let receiver: Receiver;

beforeAll(async () => {
  [server, receiver] = await Promise.all([
    startDevServer({ vars: { RETRY_DELAY_SECONDS: "1", MAX_RETRIES: "1", DISABLE_AFTER_FAILED_DELIVERIES: "3", DISABLE_AFTER_FAILING_HOURS: "0.0005" } }),
    startReceiver(),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), receiver?.close()]);
});

type Tenant = Awaited<ReturnType<typeof seedTenant>>;

async function webhook(tenant: Tenant, body: Record<string, unknown>) {
  const created = await server.api("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, { auth: tenant.adminKey, body: { enabled: true, ...body } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string };
}

const wink = (bucket: string, script?: string, extra: Record<string, unknown> = {}) => ({
  name: bucket,
  postURL: receiver.url(bucket, script),
  source: "wink",
  entity: "Cool Account",
  events: ["booking.created"],
  ...extra,
});

async function post(tenant: Tenant, ns: number[]) {
  const posted = await server.api("POST", `/v1/organizations/${tenant.org}/events`, {
    auth: tenant.producerKey,
    body: { events: ns.map((n) => ({ type: "booking.created", entity: "Cool Account", data: { n } })) },
  });
  expect(posted.status).toBe(202);
}

const get = async (tenant: Tenant, id: string) => (await server.api("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${id}`, { auth: tenant.adminKey })).body;
/** The webhook as the API shows it once the platform has disabled it. */
const disabledWebhook = (tenant: Tenant, id: string) =>
  until(server, async () => {
    const current = await get(tenant, id);
    return !current.enabled && current;
  });
const ns = (bucket: string) => receiver.received(bucket).map((r) => JSON.parse(r.body).data.n as number);

describe("auto-disable on wrangler dev", () => {
  it("disables a webhook whose receiver always answers 503, tells the operational webhook once, attempts nothing later, and a healthy webhook keeps receiving", async () => {
    const tenant = await seedTenant(server, "self-care");
    const ops = await webhook(tenant, { name: "ops", postURL: receiver.url("ops"), source: "operational", events: ["webhook.disabled"] });
    const failing = await webhook(tenant, wink("down", "503"));
    await webhook(tenant, wink("healthy"));

    await post(tenant, [1, 2, 3, 4, 5]);
    const disabled = await disabledWebhook(tenant, failing.id);
    expect(disabled.disabledReason).toMatch(/^3 deliveries in a row ended failed since \S+Z; the last answered 503$/);
    const [told] = await until(server, () => receiver.received("ops").length > 0 && receiver.received("ops"));
    const { key } = (await server.api("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${ops.id}/secret`, { auth: tenant.adminKey })).body;
    expect(new Webhook(key).verify(told!.body, told!.headers)).toMatchObject({
      type: "webhook.disabled",
      source: "operational",
      data: { webhookId: failing.id, name: "down", url: receiver.url("down", "503"), reason: disabled.disabledReason, disabledAt: disabled.disabledAt, failedDeliveries: 3, lastStatusCode: 503 },
    });

    await post(tenant, [6, 7]);
    await until(server, () => receiver.received("healthy").length >= 7);
    expect(ns("healthy")).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Three deliveries of two attempts each failed; the two waiting behind them were cancelled, and
    // the events after the disable were never its.
    expect(ns("down")).toEqual([1, 1, 2, 2, 3, 3]);
    expect(receiver.received("down").every((r) => r.receivedAt <= disabled.disabledAt)).toBe(true);
    const statuses = await until(server, async () => {
      const list = await server.api("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${failing.id}/deliveries`, { auth: tenant.adminKey });
      const found = list.body.deliveries.map((d: any) => d.status);
      return !found.some((status: string) => ["pending", "in_flight", "retrying"].includes(status)) && found;
    });
    expect(statuses).toEqual(["cancelled", "cancelled", "failed", "failed", "failed"]);
    expect(receiver.received("ops")).toHaveLength(1);
  });

  it("disables a webhook at once when its receiver answers 410, and delivers new events again once it is enabled", async () => {
    const tenant = await seedTenant(server, "gone");
    const gone = await webhook(tenant, wink("gone", "410,200"));
    await post(tenant, [1, 2]);
    const disabled = await disabledWebhook(tenant, gone.id);
    expect(disabled.disabledReason).toBe("the receiver answered 410 Gone");
    expect(ns("gone")).toEqual([1]);

    const enabled = await server.api("POST", `/v1/mint/organizations/${tenant.org}/webhooks/${gone.id}`, { auth: tenant.adminKey, body: { enabled: "true" } });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    await post(tenant, [3]);
    await until(server, () => receiver.received("gone").length >= 2);
    expect(receiver.received("gone").map((r) => [JSON.parse(r.body).data.n, r.answer])).toEqual([
      [1, "410"],
      [3, "200"],
    ]);
  });
});

describe("the throttle on wrangler dev", () => {
  it("paces a webhook limited to 5 deliveries a second, in order, while another webhook of the organization runs at full speed", async () => {
    const tenant = await seedTenant(server, "throttle");
    await webhook(tenant, wink("slow", undefined, { rateLimit: 5 }));
    await webhook(tenant, wink("fast"));
    const events = Array.from({ length: 15 }, (_, i) => i + 1);
    await post(tenant, events);
    await until(server, () => receiver.received("slow").length >= 15);
    expect(ns("slow")).toEqual(events);
    expect(ns("fast")).toEqual(events);
    // Sent 200 ms apart at 5/s. What the receiver sees also carries each request's own time on the
    // way, and a late attempt lets the next one come up to half a turn early, so the bounds are
    // generous: no two closer than 75 ms, and the run no shorter than 90 % of 14 turns.
    const slow = receiver.received("slow").map((r) => r.receivedAt);
    const gaps = slow.slice(1).map((at, i) => at - slow[i]!);
    expect(Math.min(...gaps), gaps.join(" ")).toBeGreaterThanOrEqual(75);
    expect(slow.at(-1)! - slow[0]!).toBeGreaterThanOrEqual(0.9 * 14 * 200);
    // The other webhook had every event before the throttled one had half of them.
    expect(receiver.received("fast").at(-1)!.receivedAt).toBeLessThan(slow[7]!);
  });
});
