/** @jsxImportSource hono/jsx */
// Accounts (entities) and the event-type catalog: create and remove, with the API's own rules
// (CreateEntity / CreateEventType) and queries (src/db).
import { Hono, type Context } from "hono";
import type { UiEnv } from "../env";
import { IdParam } from "../../api/common";
import { CreateEntity, createEntity, deleteEntity, getEntity } from "../../api/entities";
import { CreateEventType, createEventType, deleteEventType, getEventType } from "../../api/event-types";
import { ApiError, detailsFromZod, notFound, type ErrorDetail } from "../../errors";
import { listEntities, webhooksBoundTo } from "../../db/entities";
import { listEventTypes } from "../../db/event-types";
import { redirectWithFlash, takeFlash } from "../flash";
import { text } from "../form";
import { page, viewerOf } from "../render";
import { counted } from "../counted";
import { EntitiesPage, type EntitiesProps, type FormErrors } from "../pages/entities";
import { ConfirmPage } from "../pages/confirm";
import { Layout } from "../layout";

const LIMIT = 1000;

export const entityRoutes = new Hono<UiEnv>();
export const eventTypeRoutes = new Hono<UiEnv>();

async function show(c: Context<UiEnv>, extra: Pick<EntitiesProps, "entityForm" | "eventTypeForm"> = {}) {
  const org = c.var.session.principal.orgId;
  const [entities, eventTypes] = await Promise.all([
    listEntities(c.env.DB, org, { limit: LIMIT, offset: 0 }),
    listEventTypes(c.env.DB, org, { limit: LIMIT, offset: 0 }),
  ]);
  const failed = extra.entityForm || extra.eventTypeForm;
  return page(
    c,
    <EntitiesPage
      viewer={viewerOf(c)}
      flash={failed ? undefined : await takeFlash(c)}
      entities={entities.entities}
      eventTypes={eventTypes.eventTypes}
      {...extra}
    />,
    failed ? 400 : 200,
  );
}

/** Error details keyed by the form's field ids (`entity-source`, `event-name`, …). */
function fieldErrors(prefix: string, details: ErrorDetail[]): FormErrors {
  const errors: FormErrors = {};
  for (const d of details) {
    const key = ["source", "name", "description"].includes(d.field) ? `${prefix}-${d.field}` : "form";
    errors[key] = errors[key] ? `${errors[key]}; ${d.reason}` : d.reason;
  }
  return errors;
}

/** The id in the path; anything that is not one is simply not found. */
function idOf(c: Context<UiEnv>, what: string): string {
  const parsed = IdParam.safeParse({ id: c.req.param("id") });
  if (!parsed.success) throw notFound(what);
  return parsed.data.id;
}

entityRoutes.get("/", (c) => show(c));

entityRoutes.post("/", async (c) => {
  const values = { source: text(c.var.form, "source"), name: text(c.var.form, "name") };
  const parsed = CreateEntity.safeParse(values);
  if (!parsed.success) return show(c, { entityForm: { values, errors: fieldErrors("entity", detailsFromZod(parsed.error)) } });
  try {
    const row = await createEntity(c.env.DB, c.var.session.principal, parsed.data);
    return redirectWithFlash(c, "/ui/entities", { kind: "success", text: `Account “${row.name}” was created on ${row.source}.` });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      return show(c, { entityForm: { values, errors: { "entity-name": `${values.name} already exists on ${values.source}` } } });
    }
    throw error;
  }
});

entityRoutes.get("/:id/remove", async (c) => {
  const entity = await getEntity(c.env.DB, c.var.session.principal.orgId, idOf(c, "entity"));
  // An account webhooks are bound to cannot go: said before asking for OK, naming them.
  const bound = await webhooksBoundTo(c.env.DB, entity);
  if (bound.length > 0) {
    return page(
      c,
      <Layout title={`${entity.name} cannot be removed`} viewer={viewerOf(c)} section="entities">
        <div class="card narrow">
          <p>
            {counted(bound.length, "webhook is", "webhooks are")} bound to the {entity.source} account “{entity.name}”:
          </p>
          <ul>
            {bound.map((w) => (
              <li>
                <a href={`/ui/webhooks/${w.id}`}>{w.name}</a>
              </li>
            ))}
          </ul>
          <p>Remove them, or bind them to another account, before removing it.</p>
          <a class="button secondary" href="/ui/entities">Back to Entities</a>
        </div>
      </Layout>,
    );
  }
  return page(
    c,
    <ConfirmPage viewer={viewerOf(c)} section="entities" title={`Remove ${entity.name}?`} action={`/ui/entities/${entity.id}/remove`} cancelHref="/ui/entities">
      <p>
        The {entity.source} account “{entity.name}” will be removed. Click OK to confirm.
      </p>
    </ConfirmPage>,
  );
});

entityRoutes.post("/:id/remove", async (c) => {
  const org = c.var.session.principal.orgId;
  const entity = await getEntity(c.env.DB, org, idOf(c, "entity"));
  return removeThenSay(c, () => deleteEntity(c.env.DB, org, entity.id), "/ui/entities", `Account “${entity.name}”`, "was removed.");
});

// The address bar keeps the form's action after its answer: opened again, it leads to the catalog.
eventTypeRoutes.get("/", (c) => c.redirect("/ui/entities#event-types", 303));

eventTypeRoutes.post("/", async (c) => {
  const values = { source: text(c.var.form, "source"), name: text(c.var.form, "name"), description: text(c.var.form, "description") };
  const parsed = CreateEventType.safeParse({ ...values, description: values.description || undefined });
  if (!parsed.success) return show(c, { eventTypeForm: { values, errors: fieldErrors("event", detailsFromZod(parsed.error)) } });
  try {
    const row = await createEventType(c.env.DB, c.var.session.principal, parsed.data);
    return redirectWithFlash(c, "/ui/entities#event-types", { kind: "success", text: `Event type ${row.name} was added to ${row.source}.` });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      return show(c, { eventTypeForm: { values, errors: { "event-name": `${values.name} is already in the ${values.source} catalog` } } });
    }
    throw error;
  }
});

eventTypeRoutes.get("/:id/remove", async (c) => {
  const type = await getEventType(c.env.DB, c.var.session.principal.orgId, idOf(c, "event type"));
  return page(
    c,
    <ConfirmPage viewer={viewerOf(c)} section="entities" title={`Remove ${type.name}?`} action={`/ui/event-types/${type.id}/remove`} cancelHref="/ui/entities#event-types">
      <p>
        The event type <code>{type.name}</code> will be removed from the {type.source} catalog. Event types that webhooks
        subscribe to cannot be removed until those webhooks stop listening to them. Click OK to confirm.
      </p>
    </ConfirmPage>,
  );
});

eventTypeRoutes.post("/:id/remove", async (c) => {
  const org = c.var.session.principal.orgId;
  const type = await getEventType(c.env.DB, org, idOf(c, "event type"));
  return removeThenSay(c, () => deleteEventType(c.env.DB, org, type.id), "/ui/entities#event-types", `Event type ${type.name}`, `was removed from ${type.source}.`);
});

/** Removes, then lands on `back` saying so, or saying why not when something still uses it (409). */
async function removeThenSay(c: Context<UiEnv>, remove: () => Promise<void>, back: string, subject: string, done: string) {
  try {
    await remove();
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      return redirectWithFlash(c, back, { kind: "error", text: `${subject} was not removed: ${describe(error)}` });
    }
    throw error;
  }
  return redirectWithFlash(c, back, { kind: "success", text: `${subject} ${done}` });
}

/** A conflict in words: its message and what each detail says (which webhooks are in the way). */
function describe(error: ApiError): string {
  const reasons = error.details.map((d) => d.reason);
  return reasons.length > 0 ? `${error.message} (${reasons.join("; ")}).` : `${error.message}.`;
}
