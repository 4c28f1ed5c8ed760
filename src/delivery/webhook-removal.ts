// Deleting a webhook, with Apigee's forceDelete: false refuses while deliveries are pending or in
// flight; true deletes and cancels them (the sequencer drops its queue).
import type { Env } from "../env";
import { ApiError } from "../errors";
import { deleteWebhook, getWebhook } from "../db/webhooks";
import { sequencer } from "./sequencer-client";

export async function removeWebhook(env: Env, orgId: string, id: string, force: boolean): Promise<void> {
  await getWebhook(env.DB, orgId, id);
  const queue = sequencer(env, id);
  if (!force) {
    const open = await queue.openCount();
    if (open > 0) {
      throw new ApiError(409, "webhook_busy", `The webhook has ${open} deliveries pending or in flight; wait, or delete with forceDelete=true to cancel them`, [
        { field: "forceDelete", reason: `is false and ${open} deliveries are pending or in flight` },
      ]);
    }
  }
  // The row goes first: fan-out stops matching it and a delivery in flight sees it gone.
  await deleteWebhook(env.DB, orgId, id, force);
  await queue.erase();
}
