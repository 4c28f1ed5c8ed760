// Which webhooks an event goes to, as the organization's event log matches it from its cached
// configuration (src/ingest/org-config.ts).
import { describe, expect, it } from "vitest";
import { OrgConfig } from "../../src/ingest/org-config";
import type { WebhookRow } from "../../src/db/webhooks";

let made = 0;
function webhook(fields: Partial<WebhookRow>): WebhookRow {
  made += 1;
  return {
    id: `hook-${made}`,
    orgId: "org",
    name: `hook ${made}`,
    postUrl: "https://example.com/hook",
    enabled: true,
    description: null,
    source: "wink",
    entity: null,
    events: [],
    secret: "whsec_x",
    previousSecret: null,
    previousSecretExpires: null,
    rateLimit: null,
    disabledReason: null,
    disabledAt: null,
    created: made,
    createdBy: "a@example.com",
    updated: made,
    updatedBy: "a@example.com",
    ...fields,
  };
}

const configOf = (webhooks: WebhookRow[]) => new OrgConfig({ webhooks, eventTypes: [], entities: [], conditions: [] }, 0);
const booking = { source: "wink", type: "booking.created", entity: null };

describe("the webhooks an event goes to", () => {
  it("are the enabled ones of its source subscribed to its type, a prefix.* of it, * or every type, oldest first", () => {
    const hooks = [
      webhook({ events: ["booking.created"] }),
      webhook({ events: ["booking.*"] }),
      webhook({ events: ["*"] }),
      webhook({ events: [] }),
      webhook({ events: ["booking.cancelled"] }),
      webhook({ events: ["book.*"] }),
      webhook({ events: [], enabled: false }),
      webhook({ events: [], source: "trippay" }),
    ];
    expect(configOf(hooks).subscribers(booking)).toEqual(hooks.slice(0, 4).map((w) => w.id));
  });

  it("are, for an event about an entity, those bound to it or to none; for one about none, those bound to none", () => {
    const [unbound, bound, other] = [webhook({}), webhook({ entity: "Cool Account" }), webhook({ entity: "Other Account" })];
    const config = configOf([unbound!, bound!, other!]);
    expect(config.subscribers({ ...booking, entity: "Cool Account" })).toEqual([unbound!.id, bound!.id]);
    expect(config.subscribers(booking)).toEqual([unbound!.id]);
  });

  it("are matched once per type and entity: the next event of that kind looks at no webhook", () => {
    let looks = 0;
    const hooks = Array.from({ length: 1_000 }, (_, i) =>
      new Proxy(webhook({ events: i % 2 ? ["booking.*"] : ["payment.*"] }), {
        get: (target, field: keyof WebhookRow) => ((looks += field === "enabled" ? 1 : 0), target[field]),
      }),
    );
    const config = configOf(hooks);
    const first = config.subscribers(booking);
    expect(looks).toBe(1_000);
    expect(first).toHaveLength(500);
    expect(config.subscribers({ ...booking })).toEqual(first);
    expect(looks).toBe(1_000);
    config.subscribers({ ...booking, entity: "Cool Account" });
    config.subscribers({ ...booking, type: "booking.cancelled" });
    expect(looks).toBe(3_000);
  });

  it("are told apart for an event about no entity and one about an entity named \"\"", () => {
    const [a, b] = [webhook({ entity: "" }), webhook({ entity: "x" })];
    const config = configOf([a!, b!]);
    expect(config.subscribers({ ...booking, entity: "" })).toEqual([a!.id]);
    expect(config.subscribers(booking)).toEqual([]);
    expect(config.subscribers({ ...booking, entity: "x" })).toEqual([b!.id]);
  });
});
