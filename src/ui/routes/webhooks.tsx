/** @jsxImportSource hono/jsx */
// The webhooks pages. Every change goes through the same functions as the API (src/webhooks/)
// and lands back on a page with a message saying what happened.
import { Hono, type Context } from "hono";
import type { UiEnv } from "../env";
import { IdParam } from "../../api/common";
import { ListQuery } from "../../api/webhooks";
import { UpdateWebhook } from "../../api/webhook-schemas";
import { z } from "@hono/zod-openapi";
import { ApiError, badRequest, detailsFromZod, notFound } from "../../errors";
import { DeliveryStatus, Recover, recoverFrom } from "../../api/delivery-schemas";
import { OPERATIONAL_EVENT_TYPES, OPERATIONAL_SOURCE } from "../../db/operational-catalog";
import { listWebhooks, type WebhookRow } from "../../db/webhooks";
import { changeWebhook, createWebhook, getWebhook, removeWebhook, rotateSecret, signingSecretOf, whatWouldStop, type SigningSecret } from "../../webhooks/lifecycle";
import { sequencer } from "../../delivery/sequencer-client";
import { lastOutcome, listDeliveries, payloadsOf, recoverDeliveries, redeliver, sendTestEventTo } from "../../webhooks/deliveries";
import { listEntities } from "../../db/entities";
import { inScope } from "../../db/portal-links";
import { listEventTypes } from "../../db/event-types";
import { redirectWithFlash, takeFlash, type Flash } from "../flash";
import { text } from "../form";
import { page, viewerOf } from "../render";
import { counted } from "../counted";
import { WebhookListPage } from "../pages/webhook-list";
import { WebhookFormPage } from "../pages/webhook-form";
import { WebhookDetailPage } from "../pages/webhook-detail";
import { ConfirmPage } from "../pages/confirm";
import {
  blankWebhook,
  errorsFromApi,
  parseWebhookForm,
  valuesFromForm,
  valuesFromWebhook,
  type FieldErrors,
  type WebhookFormValues,
} from "../webhook-input";

export const PAGE_SIZE = 50;
const DELIVERIES_PAGE_SIZE = 20;
/** The form offers at most this many accounts and event types (the API's largest page). */
const CHOICES_LIMIT = 1000;

export const webhookRoutes = new Hono<UiEnv>();

const listHref = (q: string) => (q ? `/ui/webhooks?q=${encodeURIComponent(q)}` : "/ui/webhooks");
const detailHref = (id: string) => `/ui/webhooks/${id}`;
const DeliveryId = z.uuid();

/** `?page=` as a page number from 1; anything else is the first page. */
const pageNumberOf = (value: string | undefined) => Math.max(1, Math.min(1_000_000, Number.parseInt(value ?? "1", 10) || 1));

/** A refusal the user can act on (the webhook is disabled, the queue is unavailable) as a message. */
function refusal(error: unknown, what: string): Flash {
  if (error instanceof ApiError && (error.status === 409 || error.status === 503)) {
    return { kind: "error", text: `${what}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}.` };
  }
  throw error;
}

/** What a portal session opened with a scope may see; undefined for everything of the organization. */
const scopeOf = (c: Context<UiEnv>) => c.var.session.portal?.scope;

/**
 * The webhook named in the path, of the signed-in organization and the session's scope only
 * (others are "not found", as if they did not exist).
 */
async function webhookOf(c: Context<UiEnv>) {
  const parsed = IdParam.safeParse({ id: c.req.param("id") });
  if (!parsed.success) throw notFound("webhook");
  const webhook = await getWebhook(c.env.DB, c.var.session.principal.orgId, parsed.data.id);
  const scope = scopeOf(c);
  if (scope && !inScope(scope, webhook)) throw notFound("webhook");
  return webhook;
}

/** The accounts and event types the form offers: the session's scope's only. */
async function choices(c: Context<UiEnv>) {
  const org = c.var.session.principal.orgId;
  const [entities, eventTypes] = await Promise.all([
    listEntities(c.env.DB, org, { limit: CHOICES_LIMIT, offset: 0 }),
    listEventTypes(c.env.DB, org, { limit: CHOICES_LIMIT, offset: 0 }),
  ]);
  const scope = scopeOf(c);
  if (!scope) {
    const operational = OPERATIONAL_EVENT_TYPES.map((type) => ({ source: OPERATIONAL_SOURCE, ...type }));
    return { entities: entities.entities, eventTypes: [...eventTypes.eventTypes, ...operational] };
  }
  const allowed = entities.entities.filter((e) => inScope(scope, { source: e.source, entity: e.name }));
  const sources = new Set([...allowed.map((e) => e.source), ...(scope.source ? [scope.source] : [])]);
  return { entities: allowed, eventTypes: eventTypes.eventTypes.filter((t) => sources.has(t.source)) };
}

/** The form's error when its binding leaves the session's scope (a forged form: the page never offers one). */
function outsideScope(c: Context<UiEnv>, binding: { source: string | null; entity: string | null }): FieldErrors | undefined {
  const scope = scopeOf(c);
  if (!scope || inScope(scope, binding)) return undefined;
  return { entity: "is not one of the accounts this page was opened for; choose one from the list" };
}

async function showForm(
  c: Context<UiEnv>,
  mode: "create" | "update",
  action: string,
  values: WebhookFormValues | ((entities: Awaited<ReturnType<typeof choices>>["entities"]) => WebhookFormValues),
  errors: FieldErrors = {},
) {
  const { entities, eventTypes } = await choices(c);
  const shown = typeof values === "function" ? values(entities) : values;
  const status = Object.keys(errors).length > 0 ? 400 : 200;
  return page(
    c,
    <WebhookFormPage viewer={viewerOf(c)} mode={mode} action={action} values={shown} errors={errors} entities={entities} eventTypes={eventTypes} />,
    status,
  );
}

webhookRoutes.get("/", async (c) => {
  const q = (c.req.query("q") ?? "").trim();
  const pageNumber = pageNumberOf(c.req.query("page"));
  const parsed = ListQuery.safeParse({ q: q || undefined, limit: String(PAGE_SIZE), offset: String((pageNumber - 1) * PAGE_SIZE) });
  const qError = parsed.success ? undefined : detailsFromZod(parsed.error).find((d) => d.field === "q")?.reason;
  const query = parsed.success ? parsed.data : { limit: PAGE_SIZE, offset: 0 };
  const list = await listWebhooks(c.env.DB, c.var.session.principal.orgId, { ...query, scope: scopeOf(c) });
  const outcomes = await Promise.all(list.webhooks.map((w) => lastOutcome(c.env, w.id)));
  return page(
    c,
    <WebhookListPage
      viewer={viewerOf(c)}
      flash={await takeFlash(c)}
      q={q}
      qError={qError ? `The search ${qError}` : undefined}
      webhooks={list.webhooks.map((webhook, i) => ({ webhook, lastOutcome: outcomes[i] ?? null }))}
      total={list.totalRecords}
      page={parsed.success ? pageNumber : 1}
      pageSize={PAGE_SIZE}
    />,
  );
});

webhookRoutes.get("/new", (c) => showForm(c, "create", "/ui/webhooks/new", blankWebhook()));

webhookRoutes.post("/new", async (c) => {
  const values = valuesFromForm(c.var.form);
  const { entities } = await choices(c);
  const parsed = parseWebhookForm(values, entities, "create");
  if ("errors" in parsed) return showForm(c, "create", "/ui/webhooks/new", values, parsed.errors);
  const refused = outsideScope(c, { source: parsed.changes.source ?? null, entity: parsed.changes.entity ?? null });
  if (refused) return showForm(c, "create", "/ui/webhooks/new", values, refused);
  let created;
  try {
    // Webhooks made on the page start enabled unless unticked (the API's start disabled).
    created = await createWebhook(c.env, c.var.session.principal, parsed.changes, true);
  } catch (error) {
    return showForm(c, "create", "/ui/webhooks/new", values, errorsFromApi(error));
  }
  return redirectWithFlash(c, "/ui/webhooks", { kind: "success", text: `Webhook “${created.name}” was created.` });
});

/** The detail page; `secret` only when the user asked to see it. */
async function showDetail(c: Context<UiEnv>, webhook: WebhookRow, extra: { flash?: Flash | undefined; secret?: SigningSecret } = {}) {
  const pageNumber = pageNumberOf(c.req.query("page"));
  // An unknown ?status= shows every delivery, as the filter's "All" does.
  const status = DeliveryStatus.safeParse(c.req.query("status")).data;
  const queue = sequencer(c.env, webhook.id);
  const [list, stats] = await Promise.all([
    listDeliveries(c.env, webhook.orgId, webhook.id, { status, limit: DELIVERIES_PAGE_SIZE, offset: (pageNumber - 1) * DELIVERIES_PAGE_SIZE }),
    queue.stats("24h"),
  ]);
  // A delivery missing here was erased between the two reads (the webhook was removed meanwhile).
  const [found, payloads] = await Promise.all([
    Promise.all(list.deliveries.map((d) => queue.get(d.id))),
    // The page still shows the deliveries if the event log does not answer.
    payloadsOf(c.env, webhook.orgId, list.deliveries.map((d) => d.eventId)).catch(() => null),
  ]);
  const withAttempts = found.filter((d) => d !== null);
  return page(
    c,
    <WebhookDetailPage
      viewer={viewerOf(c)}
      flash={extra.flash}
      webhook={webhook}
      deliveries={withAttempts}
      payloads={payloads}
      totalDeliveries={list.total}
      status={status}
      page={pageNumber}
      pageSize={DELIVERIES_PAGE_SIZE}
      stats={stats}
      secret={extra.secret}
    />,
  );
}

webhookRoutes.get("/:id", async (c) => showDetail(c, await webhookOf(c), { flash: await takeFlash(c) }));

// The address bar keeps a form's action after its answer: opened again, it leads to the webhook.
webhookRoutes.get("/:id/:action{secret|secret/rotate|test|recover|enabled|deliveries/[^/]+/redeliver}", (c) =>
  c.redirect(`/ui/webhooks/${encodeURIComponent(c.req.param("id"))}`, 303),
);

// A POST, so the secret is never in a page that was merely opened, linked or prefetched.
webhookRoutes.post("/:id/secret", async (c) => {
  const webhook = await webhookOf(c);
  return showDetail(c, webhook, { secret: signingSecretOf(webhook) });
});

webhookRoutes.post("/:id/secret/rotate", async (c) => {
  const webhook = await webhookOf(c);
  if (text(c.var.form, "rotated") !== String(webhook.previousSecretExpires ?? 0)) {
    return showDetail(c, webhook, {
      secret: signingSecretOf(webhook),
      flash: { kind: "success", text: `The signing secret of “${webhook.name}” was rotated already; this is the current one.` },
    });
  }
  const rotated = await rotateSecret(c.env, c.var.session.principal, webhook.id);
  const until = new Date(rotated.previousKeyExpires ?? Date.now()).toISOString().replace("T", " ").slice(0, 16);
  // Shown at once: the receiver needs the new secret now (a POST's answer, like Reveal).
  return showDetail(c, await webhookOf(c), {
    secret: rotated,
    flash: { kind: "success", text: `The signing secret of “${webhook.name}” was rotated. The previous secret keeps signing too until ${until} UTC.` },
  });
});

webhookRoutes.post("/:id/test", async (c) => {
  const webhook = await webhookOf(c);
  try {
    await sendTestEventTo(c.env, c.executionCtx, webhook.orgId, webhook.id);
  } catch (error) {
    return redirectWithFlash(c, detailHref(webhook.id), refusal(error, "No test event was sent"));
  }
  return redirectWithFlash(c, detailHref(webhook.id), {
    kind: "success",
    text: `A webhook.test event is on its way to “${webhook.name}”; it appears in the deliveries below.`,
  });
});

webhookRoutes.post("/:id/deliveries/:deliveryId/redeliver", async (c) => {
  const webhook = await webhookOf(c);
  const deliveryId = DeliveryId.safeParse(c.req.param("deliveryId"));
  if (!deliveryId.success) throw notFound("delivery");
  let created;
  try {
    created = await redeliver(c.env, webhook.orgId, webhook.id, deliveryId.data);
  } catch (error) {
    return redirectWithFlash(c, detailHref(webhook.id), refusal(error, "Nothing was redelivered"));
  }
  return redirectWithFlash(c, detailHref(webhook.id), {
    kind: "success",
    text: `The ${created.eventType} event is queued for delivery again, after anything already waiting.`,
  });
});

/** "Recover deliveries failed or cancelled since …": the time as the page's field sends it (UTC), or ISO 8601 with an offset. */
webhookRoutes.post("/:id/recover", async (c) => {
  const webhook = await webhookOf(c);
  const typed = text(c.var.form, "since");
  const parsed = Recover.safeParse({ since: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(typed) ? `${typed}:00Z` : typed });
  if (!parsed.success) {
    return redirectWithFlash(c, detailHref(webhook.id), {
      kind: "error",
      text: typed.trim()
        ? `Nothing was recovered: “${typed}” is not a date and time; give one such as 2026-11-23T10:00 (UTC).`
        : "Nothing was recovered: give the date and time (UTC) to recover deliveries from.",
    });
  }
  let recovered;
  try {
    recovered = await recoverDeliveries(c.env, webhook.orgId, webhook.id, recoverFrom(parsed.data));
  } catch (error) {
    return redirectWithFlash(c, detailHref(webhook.id), refusal(error, "Nothing was recovered"));
  }
  const since = new Date(recoverFrom(parsed.data)).toISOString().replace("T", " ").slice(0, 16);
  return redirectWithFlash(c, detailHref(webhook.id), {
    kind: "success",
    text:
      !recovered.complete
        ? `${counted(recovered.redelivered, "event is", "events are")} queued again so far, after anything already waiting; the webhook goes on through the rest of the deliveries it keeps and queues what it finds in the same order.`
        : recovered.redelivered === 0
          ? `Nothing to recover: since ${since} UTC, no event’s last delivery failed or was cancelled.`
          : `${counted(recovered.redelivered, "event is", "events are")} queued again, after anything already waiting.`,
  });
});

webhookRoutes.get("/:id/edit", async (c) => {
  const webhook = await webhookOf(c);
  return showForm(c, "update", `/ui/webhooks/${webhook.id}/edit`, (entities) => valuesFromWebhook(webhook, entities));
});

webhookRoutes.post("/:id/edit", async (c) => {
  const webhook = await webhookOf(c);
  const action = `/ui/webhooks/${webhook.id}/edit`;
  const values = valuesFromForm(c.var.form);
  const { entities } = await choices(c);
  const parsed = parseWebhookForm(values, entities, "update");
  if ("errors" in parsed) return showForm(c, "update", action, values, parsed.errors);
  const { changes } = parsed;
  const refused = outsideScope(c, {
    source: changes.source !== undefined ? changes.source : webhook.source,
    entity: changes.entity !== undefined ? changes.entity : webhook.entity,
  });
  if (refused) return showForm(c, "update", action, values, refused);
  let updated;
  try {
    updated = await changeWebhook(c.env, c.var.session.principal, webhook.id, parsed.changes);
  } catch (error) {
    return showForm(c, "update", action, values, errorsFromApi(error));
  }
  return redirectWithFlash(c, "/ui/webhooks", { kind: "success", text: `Webhook “${updated.name}” was updated.` });
});

webhookRoutes.post("/:id/enabled", async (c) => {
  const webhook = await webhookOf(c);
  const q = text(c.var.form, "q");
  // The detail page's Enable button comes back to the detail page; the list's switch to the list.
  const returnTo = text(c.var.form, "return");
  const back = returnTo === "detail" ? detailHref(webhook.id) : listHref(q);
  const parsed = UpdateWebhook.safeParse({ enabled: c.var.form.get("enabled") ?? "" });
  if (!parsed.success) throw badRequest("The status switch sent neither true nor false");
  // Disabling cancels what is waiting: asked first when anything is.
  const waiting = parsed.data.enabled || text(c.var.form, "confirmed") ? 0 : await sequencer(c.env, webhook.id).openCount();
  if (waiting > 0) {
    return page(
      c,
      <ConfirmPage
        viewer={viewerOf(c)}
        section="webhooks"
        title={`Disable ${webhook.name}?`}
        action={`/ui/webhooks/${webhook.id}/enabled`}
        cancelHref={back}
        hidden={{ enabled: "false", confirmed: "1", q, return: returnTo }}
      >
        <p>
          {counted(waiting, "delivery is", "deliveries are")} waiting to be sent to “{webhook.name}”. Disabling it cancels{" "}
          {waiting === 1 ? "it" : "them"}; once it is enabled again, cancelled deliveries are sent only if you redeliver them or use Recover. Click OK to disable it.
        </p>
      </ConfirmPage>,
    );
  }
  const updated = await changeWebhook(c.env, c.var.session.principal, webhook.id, { enabled: parsed.data.enabled });
  return redirectWithFlash(c, back, {
    kind: "success",
    text: `Webhook “${updated.name}” is now ${updated.enabled ? "enabled" : "disabled"}.`,
  });
});

webhookRoutes.get("/:id/remove", async (c) => {
  const webhook = await webhookOf(c);
  const q = (c.req.query("q") ?? "").trim();
  const { waiting, conditions } = await whatWouldStop(c.env, webhook.orgId, webhook.id);
  return page(
    c,
    <ConfirmPage
      viewer={viewerOf(c)}
      section="webhooks"
      title={`Remove ${webhook.name}?`}
      action={`/ui/webhooks/${webhook.id}/remove`}
      cancelHref={listHref(q)}
      hidden={q ? { q } : {}}
    >
      <p>
        The webhook “{webhook.name}” (<code>{webhook.postUrl}</code>) will be removed and will receive no more events. This
        cannot be undone. Click OK to confirm.
      </p>
      {waiting > 0 ? <p>Its {counted(waiting, "delivery still waiting is", "deliveries still waiting are")} cancelled.</p> : null}
      {conditions > 0 ? (
        <p>
          {counted(conditions, "notification condition names", "notification conditions name")} it in its actions: it is removed
          from them, and a condition left with no webhook notifies nobody.
        </p>
      ) : null}
    </ConfirmPage>,
  );
});

webhookRoutes.post("/:id/remove", async (c) => {
  const webhook = await webhookOf(c);
  // The page asked for OK first, so pending deliveries are cancelled (Apigee's forceDelete=true).
  await removeWebhook(c.env, c.var.session.principal.orgId, webhook.id, true, c.var.session.principal.email);
  return redirectWithFlash(c, listHref(text(c.var.form, "q")), { kind: "success", text: `Webhook “${webhook.name}” was removed.` });
});
