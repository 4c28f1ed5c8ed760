// The rules of a notification condition, for the API: every WEBHOOK action names a webhook of the
// same organization (checked before saving, and by the saving statements themselves against a
// concurrent webhook delete), and a refused save says what changed meanwhile.
import type { Author } from "../db/client";
import {
  deleteConditionRow,
  findCondition,
  insertCondition,
  saveConditionChanges,
  type ConditionTests,
  type ConditionWithActions,
} from "../db/notification-conditions";
import { existingWebhookIds } from "../db/webhooks";
import { badRequest, conflict, notFound, type ErrorDetail } from "../errors";

/** A condition as created: what it tests and the webhooks it notifies, in order. */
export interface NewCondition {
  notificationCondition: ConditionTests;
  actions: string[];
}

/** What an update replaces; a list left out stays as it is. */
export interface ConditionChanges {
  notificationCondition?: ConditionTests | undefined;
  actions?: string[] | undefined;
}

export async function getCondition(d1: D1Database, orgId: string, id: string): Promise<ConditionWithActions> {
  const condition = await findCondition(d1, orgId, id);
  if (!condition) throw notFound("notification condition");
  return condition;
}

/** Every action naming a webhook that is not in the organization, as error details. */
async function actionProblems(d1: D1Database, orgId: string, webhookIds: string[]): Promise<ErrorDetail[]> {
  const known = await existingWebhookIds(d1, orgId, webhookIds);
  return webhookIds.flatMap((id, i) =>
    known.has(id) ? [] : [{ field: `actions.${i}.value`, reason: `no webhook ${id} exists in this organization; create it first` }],
  );
}

async function assertActions(d1: D1Database, orgId: string, webhookIds: string[]) {
  const problems = await actionProblems(d1, orgId, webhookIds);
  if (problems.length > 0) throw badRequest("The notification condition's actions are not valid", problems);
}

/** After a save the database refused: say what changed meanwhile (404, 400), or ask to retry. */
async function explainRefusal(d1: D1Database, orgId: string, conditionId: string | null, webhookIds: string[] | undefined): Promise<never> {
  if (conditionId) await getCondition(d1, orgId, conditionId);
  if (webhookIds) await assertActions(d1, orgId, webhookIds);
  throw conflict("The notification condition or its webhooks changed while it was being saved; try again");
}

export async function createCondition(d1: D1Database, author: Author, input: NewCondition): Promise<ConditionWithActions> {
  await assertActions(d1, author.orgId, input.actions);
  const created = await insertCondition(d1, author, input.notificationCondition, input.actions);
  return created ?? explainRefusal(d1, author.orgId, null, input.actions);
}

export async function updateCondition(d1: D1Database, author: Author, id: string, changes: ConditionChanges): Promise<ConditionWithActions> {
  await getCondition(d1, author.orgId, id);
  if (changes.actions) await assertActions(d1, author.orgId, changes.actions);
  const saved = await saveConditionChanges(d1, author, id, { tests: changes.notificationCondition, webhookIds: changes.actions });
  if (!saved) return explainRefusal(d1, author.orgId, id, changes.actions);
  return getCondition(d1, author.orgId, id);
}

export async function deleteCondition(d1: D1Database, orgId: string, id: string): Promise<void> {
  if (!(await deleteConditionRow(d1, orgId, id))) throw notFound("notification condition");
}
