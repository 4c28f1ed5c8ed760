/** @jsxImportSource hono/jsx */
// The webhooks pages. Every change goes through the same functions as the API (src/db/webhooks.ts)
// and lands back on a page with a message saying what happened.
import { Hono, type Context } from "hono";
import type { UiEnv } from "../env";
import { IdParam } from "../../api/common";
import { ListQuery } from "../../api/webhooks";
import { UpdateWebhook } from "../../api/webhook-schemas";
import { ApiError, detailsFromZod } from "../../http/errors";
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, updateWebhook } from "../../db/webhooks";
import { listEntities } from "../../db/entities";
import { listEventTypes } from "../../db/event-types";
import { redirectWithFlash, takeFlash } from "../flash";
import { text } from "../form";
import { page, viewerOf } from "../render";
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
/** The form offers at most this many accounts and event types (the API's largest page). */
const CHOICES_LIMIT = 1000;

export const webhookRoutes = new Hono<UiEnv>();

const listHref = (q: string) => (q ? `/ui/webhooks?q=${encodeURIComponent(q)}` : "/ui/webhooks");

/** The webhook named in the path, of the signed-in organization only (others are "not found"). */
async function webhookOf(c: Context<UiEnv>) {
  const parsed = IdParam.safeParse({ id: c.req.param("id") });
  if (!parsed.success) throw new ApiError(404, "not_found", "webhook was not found");
  return getWebhook(c.env.DB, c.var.session.principal.orgId, parsed.data.id);
}

async function choices(c: Context<UiEnv>) {
  const org = c.var.session.principal.orgId;
  const [entities, eventTypes] = await Promise.all([
    listEntities(c.env.DB, org, { limit: CHOICES_LIMIT, offset: 0 }),
    listEventTypes(c.env.DB, org, { limit: CHOICES_LIMIT, offset: 0 }),
  ]);
  return { entities: entities.entities, eventTypes: eventTypes.eventTypes };
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
  const pageNumber = Math.max(1, Math.min(1_000_000, Number.parseInt(c.req.query("page") ?? "1", 10) || 1));
  const parsed = ListQuery.safeParse({ q: q || undefined, limit: String(PAGE_SIZE), offset: String((pageNumber - 1) * PAGE_SIZE) });
  const qError = parsed.success ? undefined : detailsFromZod(parsed.error).find((d) => d.field === "q")?.reason;
  const query = parsed.success ? parsed.data : { limit: PAGE_SIZE, offset: 0 };
  const list = await listWebhooks(c.env.DB, c.var.session.principal.orgId, query);
  return page(
    c,
    <WebhookListPage
      viewer={viewerOf(c)}
      flash={await takeFlash(c)}
      q={q}
      qError={qError ? `The search ${qError}` : undefined}
      webhooks={list.webhooks}
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
  let created;
  try {
    // Webhooks made on the page start enabled unless unticked (the API's start disabled).
    created = await createWebhook(c.env.DB, c.var.session.principal, parsed.changes, true);
  } catch (error) {
    return showForm(c, "create", "/ui/webhooks/new", values, errorsFromApi(error));
  }
  return redirectWithFlash(c, "/ui/webhooks", { kind: "success", text: `Webhook “${created.name}” was created.` });
});

webhookRoutes.get("/:id", async (c) => {
  const webhook = await webhookOf(c);
  return page(c, <WebhookDetailPage viewer={viewerOf(c)} flash={await takeFlash(c)} webhook={webhook} />);
});

webhookRoutes.post("/:id/secret", async (c) => {
  const webhook = await webhookOf(c);
  return page(c, <WebhookDetailPage viewer={viewerOf(c)} webhook={webhook} revealSecret />);
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
  let updated;
  try {
    updated = await updateWebhook(c.env.DB, c.var.session.principal, webhook.id, parsed.changes);
  } catch (error) {
    return showForm(c, "update", action, values, errorsFromApi(error));
  }
  return redirectWithFlash(c, "/ui/webhooks", { kind: "success", text: `Webhook “${updated.name}” was updated.` });
});

webhookRoutes.post("/:id/enabled", async (c) => {
  const webhook = await webhookOf(c);
  const q = text(c.var.form, "q");
  const parsed = UpdateWebhook.safeParse({ enabled: c.var.form.get("enabled") ?? "" });
  if (!parsed.success) throw new ApiError(400, "invalid_request", "The status switch sent neither true nor false");
  const updated = await updateWebhook(c.env.DB, c.var.session.principal, webhook.id, { enabled: parsed.data.enabled });
  return redirectWithFlash(c, listHref(q), {
    kind: "success",
    text: `Webhook “${updated.name}” is now ${updated.enabled ? "enabled" : "disabled"}.`,
  });
});

webhookRoutes.get("/:id/remove", async (c) => {
  const webhook = await webhookOf(c);
  const q = (c.req.query("q") ?? "").trim();
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
    </ConfirmPage>,
  );
});

webhookRoutes.post("/:id/remove", async (c) => {
  const webhook = await webhookOf(c);
  await deleteWebhook(c.env.DB, c.var.session.principal.orgId, webhook.id);
  return redirectWithFlash(c, listHref(text(c.var.form, "q")), { kind: "success", text: `Webhook “${webhook.name}” was removed.` });
});
