import { describe, expect, it } from "vitest";
import { call, createKey, createTenant, expectError, webhooksPath } from "./helpers";
import { conditionBody, conditionsPath, createCondition, createWebhook } from "./notification-helpers";

describe("notification conditions: the seed's API", () => {
  it("creates the seed's condition and returns its parsed thresholds; get and list return the same", async () => {
    const tenant = await createTenant("myorg");
    const webhook = await createWebhook(tenant);
    const before = Date.now();
    const created = await call("POST", conditionsPath(tenant.org), {
      auth: tenant.basic,
      body: conditionBody("123456", "%= 80 to 120 by 10", [webhook.id]),
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      orgId: tenant.org,
      notificationCondition: [
        { attribute: "RATEPLAN", value: "123456" },
        { attribute: "PUBLISHED", value: "TRUE" },
        { attribute: "UsageTarget", value: "%= 80 to 120 by 10" },
      ],
      actions: [{ actionAttribute: "WEBHOOK", value: webhook.id }],
      thresholds: [80, 90, 100, 110, 120],
      created: expect.any(Number),
      createdBy: "joe@example.com",
      updated: created.body.created,
      updatedBy: "joe@example.com",
    });
    expect(created.body.created).toBeGreaterThanOrEqual(before);

    const got = await call("GET", conditionsPath(tenant.org, created.body.id), { auth: tenant.basic });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const other = await createCondition(tenant, conditionBody("777", "%= 12.5 to 20 by 2.5", [webhook.id], false));
    expect(other.thresholds).toEqual([12.5, 15, 17.5, 20]);
    expect(other.notificationCondition).toEqual([
      { attribute: "RATEPLAN", value: "777" },
      { attribute: "UsageTarget", value: "%= 12.5 to 20 by 2.5" },
    ]);

    const list = await call("GET", conditionsPath(tenant.org), { auth: tenant.auth });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ totalRecords: 2, notificationConditions: [created.body, other] });
    const onPlan = await call("GET", `${conditionsPath(tenant.org)}?ratePlanId=777`, { auth: tenant.auth });
    expect(onPlan.body).toEqual({ totalRecords: 1, notificationConditions: [other] });
  });

  it("refuses the seed's own example as written (stray } and trailing comma), saying where the JSON broke", async () => {
    const tenant = await createTenant();
    // Verbatim from the seed, webhook id included.
    const seedExample =
      '{ "notificationCondition": [ { "attribute": "RATEPLAN", "value": "123456" }, { "attribute": "PUBLISHED", "value": "TRUE" }, { "attribute": "UsageTarget", "value": "%= 80 to 120 by 10" } } ], "actions": [{ "actionAttribute": "WEBHOOK", "value": "b0d77596-142e-4606-ae2d-f55c3c6bfebe", }] }';
    const refused = await call("POST", conditionsPath(tenant.org), { auth: tenant.auth, body: seedExample });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("malformed_json");
    expect(refused.body.error.details).toHaveLength(1);
    expect(refused.body.error.details[0].field).toBe("body");
    // The stray "}" closing the array's last object is at this offset.
    const where = seedExample.indexOf("} } ]") + 2;
    expect(refused.body.error.details[0].reason).toContain(`position ${where}`);

    // Only the stray brace fixed: the trailing comma is still refused, at its own position.
    const stillBroken = seedExample.replace("} } ]", "} ]");
    const comma = await call("POST", conditionsPath(tenant.org), { auth: tenant.auth, body: stillBroken });
    expect(comma.status).toBe(400);
    expect(comma.body.error.details[0].reason).toContain(`position ${stillBroken.indexOf(", }]") + 2}`);

    expect((await call("GET", conditionsPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });
});

describe("notification conditions: validation", () => {
  const RATEPLAN = { attribute: "RATEPLAN", value: "123456" };
  const TARGET = { attribute: "UsageTarget", value: "%= 80" };

  it.each<[string, (webhookId: string) => unknown, { field: string; reason: RegExp }]>([
    ["no RATEPLAN", (w) => ({ notificationCondition: [TARGET], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition", reason: /must include the RATEPLAN attribute/ }],
    ["no UsageTarget", (w) => ({ notificationCondition: [RATEPLAN], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition", reason: /must include the UsageTarget attribute/ }],
    ["an unknown attribute", (w) => ({ notificationCondition: [RATEPLAN, TARGET, { attribute: "DEVELOPER", value: "x" }], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.2.attribute", reason: /"DEVELOPER" is not an attribute; use RATEPLAN, PUBLISHED, UsageTarget/ }],
    ["a misspelled attribute", (w) => ({ notificationCondition: [RATEPLAN, { attribute: "usagetarget", value: "%= 80" }], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.1.attribute", reason: /must be spelled UsageTarget/ }],
    ["an attribute twice", (w) => ({ notificationCondition: [RATEPLAN, TARGET, { attribute: "RATEPLAN", value: "9" }], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.2.attribute", reason: /RATEPLAN is given twice/ }],
    ["an empty RATEPLAN", (w) => ({ notificationCondition: [{ attribute: "RATEPLAN", value: " " }, TARGET], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.0.value", reason: /must be the id of the rate plan/ }],
    ["PUBLISHED FALSE", (w) => ({ notificationCondition: [RATEPLAN, { attribute: "PUBLISHED", value: "FALSE" }, TARGET], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.1.value", reason: /must be TRUE/ }],
    ["UsageTarget %= to 5", (w) => conditionBody("1", "%= to 5", [w]), { field: "notificationCondition.2.value", reason: /^UsageTarget "%= to 5" is not valid: expected the percentage after "%=", found "to"$/ }],
    ["UsageTarget %= 120 to 80", (w) => conditionBody("1", "%= 120 to 80", [w]), { field: "notificationCondition.2.value", reason: /^UsageTarget "%= 120 to 80" is not valid: the range end 80 is below its start 120$/ }],
    ["UsageTarget by 0", (w) => conditionBody("1", "%= 80 to 120 by 0", [w]), { field: "notificationCondition.2.value", reason: /"%= 80 to 120 by 0" is not valid: the step must be greater than 0/ }],
    ["UsageTarget by -10", (w) => conditionBody("1", "%= 80 to 120 by -10", [w]), { field: "notificationCondition.2.value", reason: /"%= 80 to 120 by -10" is not valid: the step must be greater than 0, got -10/ }],
    ["UsageTarget without %=", (w) => conditionBody("1", "80 to 120", [w]), { field: "notificationCondition.2.value", reason: /"80 to 120" is not valid: must start with "%="/ }],
    ["UsageTarget with too many steps", (w) => conditionBody("1", "%= 1 to 1000 by 1", [w]), { field: "notificationCondition.2.value", reason: /gives 1000 thresholds; at most 100 are allowed/ }],
    ["no actions", () => ({ notificationCondition: [RATEPLAN, TARGET], actions: [] }), { field: "actions", reason: /must name at least one webhook/ }],
    ["an action that is not WEBHOOK", (w) => ({ notificationCondition: [RATEPLAN, TARGET], actions: [{ actionAttribute: "EMAIL", value: w }] }), { field: "actions.0.actionAttribute", reason: /must be "WEBHOOK"/ }],
    ["an action value that is not an id", () => ({ notificationCondition: [RATEPLAN, TARGET], actions: [{ actionAttribute: "WEBHOOK", value: "webhook3" }] }), { field: "actions.0.value", reason: /must be the id of a webhook/ }],
    ["the same webhook twice", (w) => conditionBody("1", "%= 80", [w, w]), { field: "actions.1.value", reason: /names the same webhook twice/ }],
    ["an unknown field", (w) => ({ ...conditionBody("1", "%= 80", [w]), name: "x" }), { field: "name", reason: /is not a known field/ }],
    ["a value that is not a string", (w) => ({ notificationCondition: [RATEPLAN, { attribute: "UsageTarget", value: 80 }], actions: [{ actionAttribute: "WEBHOOK", value: w }] }), { field: "notificationCondition.1.value", reason: /string/ }],
  ])("refuses %s with 400 naming the field", async (_, body, expected) => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const refused = await call("POST", conditionsPath(tenant.org), { auth: tenant.auth, body: body(webhook.id) });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalid_request");
    expect(refused.body.error.details).toContainEqual({ field: expected.field, reason: expect.stringMatching(expected.reason) });
    expect((await call("GET", conditionsPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses an action naming a webhook that does not exist, or exists in another organization", async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    const mine = await createWebhook(tenant);
    const theirs = await createWebhook(stranger);
    const missing = crypto.randomUUID();
    const refused = await call("POST", conditionsPath(tenant.org), {
      auth: tenant.auth,
      body: conditionBody("123456", "%= 80", [mine.id, missing, theirs.id]),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      { field: "actions.1.value", reason: `no webhook ${missing} exists in this organization; create it first` },
      { field: "actions.2.value", reason: `no webhook ${theirs.id} exists in this organization; create it first` },
    ]);
    expect((await call("GET", conditionsPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("is for admin keys of the organization only", async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    const condition = await createCondition(tenant, conditionBody("1", "%= 80", [(await createWebhook(tenant)).id]));
    const producer = await createKey(tenant.org, { email: "meter@example.com", role: "producer", source: "mint" });
    expect((await call("GET", conditionsPath(tenant.org), { auth: { bearer: producer } })).status).toBe(403);
    expect((await call("GET", conditionsPath(tenant.org), {})).status).toBe(401);
    expect((await call("GET", conditionsPath(tenant.org, condition.id), { auth: stranger.auth })).status).toBe(404);
    expect((await call("GET", conditionsPath(stranger.org, condition.id), { auth: stranger.auth })).status).toBe(404);
    expect((await call("DELETE", conditionsPath(stranger.org, condition.id), { auth: stranger.auth })).status).toBe(404);
    expect((await call("GET", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).status).toBe(200);
  });
});

describe("notification conditions: update and delete", () => {
  it("PUT replaces the lists given and keeps the others; a refused PUT changes nothing", async () => {
    const tenant = await createTenant();
    const first = await createWebhook(tenant);
    const second = await createWebhook(tenant, { name: "second" });
    const condition = await createCondition(tenant, conditionBody("123456", "%= 80 to 120 by 10", [first.id]));

    const retarget = await call("PUT", conditionsPath(tenant.org, condition.id), {
      auth: tenant.auth,
      body: { notificationCondition: [{ attribute: "RATEPLAN", value: "654321" }, { attribute: "UsageTarget", value: "%= 50 to 100 by 25" }] },
    });
    expect(retarget.status).toBe(200);
    expect(retarget.body).toMatchObject({
      id: condition.id,
      notificationCondition: [
        { attribute: "RATEPLAN", value: "654321" },
        { attribute: "UsageTarget", value: "%= 50 to 100 by 25" },
      ],
      actions: [{ actionAttribute: "WEBHOOK", value: first.id }],
      thresholds: [50, 75, 100],
      created: condition.created,
    });
    expect(retarget.body.updated).toBeGreaterThanOrEqual(condition.updated as number);

    const reactions = await call("PUT", conditionsPath(tenant.org, condition.id), {
      auth: tenant.auth,
      body: { actions: [{ actionAttribute: "WEBHOOK", value: second.id }, { actionAttribute: "WEBHOOK", value: first.id }] },
    });
    expect(reactions.status).toBe(200);
    expect(reactions.body.actions).toEqual([
      { actionAttribute: "WEBHOOK", value: second.id },
      { actionAttribute: "WEBHOOK", value: first.id },
    ]);
    expect(reactions.body.thresholds).toEqual([50, 75, 100]);

    const missing = crypto.randomUUID();
    const refused = await call("PUT", conditionsPath(tenant.org, condition.id), {
      auth: tenant.auth,
      body: { notificationCondition: conditionBody("9", "%= 10", []).notificationCondition, actions: [{ actionAttribute: "WEBHOOK", value: missing }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ field: "actions.0.value", reason: expect.stringContaining(missing) }]);
    const badTarget = await call("PUT", conditionsPath(tenant.org, condition.id), {
      auth: tenant.auth,
      body: { notificationCondition: conditionBody("9", "%= 120 to 80", []).notificationCondition },
    });
    expect(badTarget.status).toBe(400);
    expect((await call("GET", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).body).toEqual(reactions.body);

    const empty = await call("PUT", conditionsPath(tenant.org, condition.id), { auth: tenant.auth, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([{ field: "body", reason: "must give notificationCondition, actions or both" }]);
    const unknown = await call("PUT", conditionsPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth, body: { actions: reactions.body.actions } });
    expect(unknown.status).toBe(404);
  });

  it("PUT takes back the condition as GET answered it, with a list changed, ignoring thresholds and the other read-only fields", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const condition = await createCondition(tenant, conditionBody("123456", "%= 80 to 120 by 10", [webhook.id]));
    const read = (await call("GET", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).body;
    const notificationCondition = [{ attribute: "RATEPLAN", value: "123456" }, { attribute: "UsageTarget", value: "%= 50" }];
    const response = await call("PUT", conditionsPath(tenant.org, condition.id), { auth: tenant.auth, body: { ...read, notificationCondition } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({ ...read, notificationCondition, thresholds: [50], updated: expect.any(Number) });
  });

  it("refuses a round trip that changes the id or the orgId, naming each, and changes nothing", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const condition = await createCondition(tenant, conditionBody("123456", "%= 80", [webhook.id]));
    const response = await call("PUT", conditionsPath(tenant.org, condition.id), {
      auth: tenant.auth,
      body: { ...condition, id: crypto.randomUUID(), orgId: "another-org" },
    });
    expect(expectError(response, 400, "invalid_request").sort()).toEqual(["id", "orgId"]);
    expect((await call("GET", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).body).toEqual(condition);
  });

  it("lists with Apigee's page and size, and everything with all=true", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const ids: string[] = [];
    for (const plan of ["p1", "p2", "p3"]) ids.push((await createCondition(tenant, conditionBody(plan, "%= 80", [webhook.id]))).id);
    const second = await call("GET", `${conditionsPath(tenant.org)}?page=2&size=2`, { auth: tenant.auth });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.totalRecords).toBe(3);
    expect(second.body.notificationConditions.map((c: any) => c.id)).toEqual([ids[2]]);
    const everything = await call("GET", `${conditionsPath(tenant.org)}?all=true`, { auth: tenant.auth });
    expect(everything.body.notificationConditions.map((c: any) => c.id)).toEqual(ids);
  });

  it("refuses Apigee's paging mixed with limit and offset, saying why", async () => {
    const tenant = await createTenant();
    const response = await call("GET", `${conditionsPath(tenant.org)}?page=1&limit=5`, { auth: tenant.auth });
    expect(expectError(response, 400, "invalid_request")).toEqual(["query.page"]);
  });

  it("DELETE removes the condition", async () => {
    const tenant = await createTenant();
    const condition = await createCondition(tenant, conditionBody("1", "%= 80", [(await createWebhook(tenant)).id]));
    expect((await call("DELETE", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).status).toBe(204);
    expect((await call("GET", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).status).toBe(404);
    expect((await call("DELETE", conditionsPath(tenant.org, condition.id), { auth: tenant.auth })).status).toBe(404);
  });
});

describe("deleting a webhook that notification actions name", () => {
  it("forceDelete=false refuses with 409 naming the conditions; forceDelete=true removes the actions", async () => {
    const tenant = await createTenant();
    const named = await createWebhook(tenant, { name: "named" });
    const other = await createWebhook(tenant, { name: "other" });
    const only = await createCondition(tenant, conditionBody("plan-a", "%= 80", [named.id]));
    const both = await createCondition(tenant, conditionBody("plan-b", "%= 90 to 110", [other.id, named.id]));

    const refused = await call("DELETE", `${webhooksPath(tenant.org, named.id)}?forceDelete=false`, { auth: tenant.auth });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("conflict");
    expect(refused.body.error.message).toMatch(/named by 2 notification condition/);
    expect(refused.body.error.details).toEqual([
      { field: `notificationConditions.${only.id}`, reason: expect.stringContaining('rate plan plan-a, UsageTarget "%= 80"') },
      { field: `notificationConditions.${both.id}`, reason: expect.stringContaining('rate plan plan-b, UsageTarget "%= 90 to 110"') },
    ]);
    expect((await call("GET", webhooksPath(tenant.org, named.id), { auth: tenant.auth })).status).toBe(200);
    expect((await call("GET", conditionsPath(tenant.org, both.id), { auth: tenant.auth })).body.actions).toHaveLength(2);

    const forced = await call("DELETE", `${webhooksPath(tenant.org, named.id)}?forceDelete=true`, { auth: tenant.auth });
    expect(forced.status).toBe(204);
    expect((await call("GET", webhooksPath(tenant.org, named.id), { auth: tenant.auth })).status).toBe(404);
    const left = await call("GET", conditionsPath(tenant.org, only.id), { auth: tenant.auth });
    expect(left.status).toBe(200);
    expect(left.body.actions).toEqual([]);
    expect((await call("GET", conditionsPath(tenant.org, both.id), { auth: tenant.auth })).body.actions).toEqual([
      { actionAttribute: "WEBHOOK", value: other.id },
    ]);

    // A condition whose actions were removed shows who removed them, and takes its GET back.
    expect(left.body).toMatchObject({ updatedBy: "joe@example.com" });
    expect(left.body.updated).toBeGreaterThan(Number(only.updated));
    const sentBack = await call("PUT", conditionsPath(tenant.org, only.id), { auth: tenant.auth, body: left.body });
    expect(sentBack.status).toBe(200);
    expect(sentBack.body.actions).toEqual([]);

    // The default is forceDelete=true, as in Apigee.
    expect((await call("DELETE", webhooksPath(tenant.org, other.id), { auth: tenant.auth })).status).toBe(204);
    expect((await call("GET", conditionsPath(tenant.org, both.id), { auth: tenant.auth })).body.actions).toEqual([]);
  });

  it("forceDelete=false deletes a webhook no action names", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const deleted = await call("DELETE", `${webhooksPath(tenant.org, webhook.id)}?forceDelete=false`, { auth: tenant.auth });
    expect(deleted.status).toBe(204);
    expect((await call("DELETE", `${webhooksPath(tenant.org, webhook.id)}?forceDelete=false`, { auth: tenant.auth })).status).toBe(404);
  });
});
