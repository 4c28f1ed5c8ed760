// The webhook form's fields, to and from the API's own schemas (CreateWebhook / UpdateWebhook), so
// the page and the API apply one set of rules; errors come back keyed by the form's fields.
import { CreateWebhook, UpdateWebhook } from "../api/webhook-schemas";
import { ApiError, detailsFromZod, type ErrorDetail } from "../errors";
import type { EntityRow } from "../db/entities";
import type { WebhookChanges, WebhookRow } from "../db/webhooks";
import { OPERATIONAL_SOURCE } from "../db/operational-catalog";
import type { Problem } from "./components/error-summary";

export type WebhookField = "name" | "enabled" | "entity" | "events" | "postUrl" | "rateLimit";

export const FIELD_LABELS: Record<WebhookField, string> = {
  name: "Name",
  enabled: "Enable",
  entity: "Entity name",
  events: "Events",
  postUrl: "Webhook URL",
  rateLimit: "Rate limit",
};

/** What the form holds, exactly as typed, so it can be shown again next to its errors. */
export interface WebhookFormValues {
  name: string;
  enabled: boolean;
  /** The Entity select: `e:<entity id>`, `s:<source>` (every account of a source), `none`, or "". */
  target: string;
  /** Ticked events as `<source>:<pattern>`, so equal names of two sources stay apart. */
  events: string[];
  postUrl: string;
  /** Deliveries per second as typed; empty: no limit. */
  rateLimit: string;
}

export type FieldErrors = Partial<Record<WebhookField | "form", string>>;

export const NO_SOURCE = "none";

export const blankWebhook = (): WebhookFormValues => ({ name: "", enabled: true, target: "", events: [], postUrl: "", rateLimit: "" });

export function valuesFromForm(form: URLSearchParams): WebhookFormValues {
  return {
    name: form.get("name") ?? "",
    enabled: form.get("enabled") === "true",
    target: form.get("entity") ?? "",
    events: form.getAll("events"),
    postUrl: form.get("postUrl") ?? "",
    rateLimit: form.get("rateLimit") ?? "",
  };
}

export function valuesFromWebhook(row: WebhookRow, entities: EntityRow[]): WebhookFormValues {
  const entity = entities.find((e) => e.source === row.source && e.name === row.entity);
  return {
    name: row.name,
    enabled: row.enabled,
    target: entity ? `e:${entity.id}` : row.source ? `s:${row.source}` : NO_SOURCE,
    events: row.source ? row.events.map((e) => `${row.source}:${e}`) : [],
    postUrl: row.postUrl,
    rateLimit: row.rateLimit === null ? "" : String(row.rateLimit),
  };
}

interface Binding {
  source: string | null;
  entity: string | null;
  label: string;
}

function resolveTarget(target: string, entities: EntityRow[]): Binding | string {
  if (target === NO_SOURCE) return { source: null, entity: null, label: "" };
  if (target.startsWith("e:")) {
    const entity = entities.find((e) => e.id === target.slice(2));
    if (entity) return { source: entity.source, entity: entity.name, label: entity.name };
    return "choose one of your accounts from the list";
  }
  if (target === `s:${OPERATIONAL_SOURCE}`) return { source: OPERATIONAL_SOURCE, entity: null, label: "operational events" };
  if (target.startsWith("s:") && target.length > 2) return { source: target.slice(2), entity: null, label: `every ${target.slice(2)} account` };
  return "choose the account this webhook is bound to";
}

/**
 * The changes the form asks for, validated with the API's schema, or the errors to show by each
 * field. References (entity exists, events in the catalog) are checked later by createWebhook /
 * updateWebhook, whose errors `errorsFromApi` maps the same way.
 */
export function parseWebhookForm(
  values: WebhookFormValues,
  entities: EntityRow[],
  mode: "create" | "update",
): { changes: WebhookChanges & { name: string; postUrl: string } } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const binding = resolveTarget(values.target, entities);
  const events: string[] = [];
  if (typeof binding === "string") {
    errors.entity = binding;
  } else {
    for (const value of values.events) {
      const colon = value.indexOf(":");
      const source = colon > 0 ? value.slice(0, colon) : "";
      const pattern = value.slice(colon + 1);
      if (binding.source === null) {
        errors.events = "events come from an account's source: choose an account, or untick the events";
      } else if (source !== binding.source) {
        const kind = source || "unknown";
        errors.events = `${pattern} is ${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} event, but ${binding.label} is on ${binding.source}; tick events of ${binding.source}`;
      } else {
        events.push(pattern);
      }
    }
  }
  const input = {
    name: values.name,
    postURL: values.postUrl.trim(),
    enabled: values.enabled,
    source: typeof binding === "string" ? null : binding.source,
    entity: typeof binding === "string" ? null : binding.entity,
    events,
    rateLimit: rateLimitOf(values.rateLimit),
  };
  const parsed = (mode === "create" ? CreateWebhook : UpdateWebhook).safeParse(input);
  // The form's own findings (about the choice of account and events) say more than the schema's.
  if (!parsed.success) return { errors: { ...errorsFromDetails(detailsFromZod(parsed.error)), ...errors } };
  if (Object.keys(errors).length > 0) return { errors };
  const data = parsed.data as WebhookChanges;
  return { changes: { ...data, name: data.name ?? values.name.trim(), postUrl: data.postUrl ?? input.postURL } };
}

/** Empty is no limit; digits are the number; anything else goes to the schema as typed, which says what it must be. */
function rateLimitOf(typed: string): number | string | null {
  const value = typed.trim();
  if (value === "") return null;
  return /^\d{1,7}$/.test(value) ? Number(value) : value;
}

function fieldOf(detail: string): WebhookField | "form" {
  const head = detail.split(".")[0];
  switch (head) {
    case "name":
    case "enabled":
    case "events":
    case "rateLimit":
      return head;
    case "postURL":
    case "postUrl":
      return "postUrl";
    case "source":
    case "entity":
      return "entity";
    default:
      return "form";
  }
}

export function errorsFromDetails(details: ErrorDetail[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details) {
    const field = fieldOf(detail.field);
    errors[field] = errors[field] ? `${errors[field]}; ${detail.reason}` : detail.reason;
  }
  return errors;
}

/** Errors from createWebhook/updateWebhook that the user can fix in the form; others are rethrown. */
export function errorsFromApi(error: unknown): FieldErrors {
  if (error instanceof ApiError && error.status === 400) {
    return error.details.length > 0 ? errorsFromDetails(error.details) : { form: error.message };
  }
  if (error instanceof ApiError && error.status === 409) return { form: error.message };
  throw error;
}

/** The errors as a summary list, in the form's order. */
export function problemsOf(errors: FieldErrors): Problem[] {
  const order: (WebhookField | "form")[] = ["form", "name", "enabled", "entity", "events", "postUrl", "rateLimit"];
  return order
    .filter((field) => errors[field])
    .map((field) => ({
      field: field === "form" ? "" : field,
      label: field === "form" ? "" : FIELD_LABELS[field],
      message: errors[field]!,
    }));
}
