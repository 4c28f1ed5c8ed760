// What a webhook may be bound to: an entity that exists on its source, and event types in the
// source's catalog (a wildcard must match at least one). Entities and event types need a source.
import { badRequest, type ErrorDetail } from "../errors";
import { catalogOf, type WebhookBinding } from "../db/webhooks";
import { OPERATIONAL_EVENT_TYPES, OPERATIONAL_SOURCE } from "../db/operational-catalog";

/** Every way a binding's references are wrong, as error details. */
export async function bindingProblems(d1: D1Database, orgId: string, binding: WebhookBinding): Promise<ErrorDetail[]> {
  const { source, entity, events } = binding;
  if (!source) {
    return [
      ...(entity ? [{ field: "entity", reason: "needs a source: entities belong to one source" }] : []),
      ...(events.length > 0 ? [{ field: "events", reason: "needs a source: event types belong to one source" }] : []),
    ];
  }
  // The operational source's catalog is built in, and no entity is ever made on it.
  const catalog =
    source === OPERATIONAL_SOURCE ? { entityExists: false, eventTypes: OPERATIONAL_EVENT_TYPES.map((type) => type.name) } : await catalogOf(d1, orgId, source, entity);
  const problems: ErrorDetail[] = [];
  if (entity && !catalog.entityExists) {
    problems.push({ field: "entity", reason: `no entity named ${JSON.stringify(entity)} exists on ${source}; create the account first` });
  }
  events.forEach((pattern, i) => {
    if (pattern === "*") return;
    const wildcard = pattern.endsWith(".*");
    const known = wildcard ? catalog.eventTypes.some((name) => name.startsWith(pattern.slice(0, -1))) : catalog.eventTypes.includes(pattern);
    if (!known) {
      problems.push({
        field: `events.${i}`,
        reason: wildcard ? `${pattern} matches no event type of ${source} in the catalog` : `${pattern} is not an event type of ${source} in the catalog`,
      });
    }
  });
  return problems;
}

/** 400 naming every wrong reference of the binding. */
export async function assertBinding(d1: D1Database, orgId: string, binding: WebhookBinding): Promise<void> {
  const problems = await bindingProblems(d1, orgId, binding);
  if (problems.length > 0) throw badRequest("The webhook's references are not valid", problems);
}
