// The one place usage notifications enter the delivery pipeline.
import type { PostDirectedEvents } from "./usage";

/**
 * TEMPORARY until src/delivery/directed.ts (the lead's delivery pipeline) is merged into this
 * branch; then this becomes `export { postDirectedEvents as postNotifications } from "../delivery/directed";`.
 * Until then nothing can be queued: crossings are claimed and stay pending in notification_firings,
 * and the first report after the pipeline is wired posts them.
 */
export const postNotifications: PostDirectedEvents = async () => {
  throw new Error("the delivery pipeline (src/delivery/directed.ts) is not merged on this branch yet");
};
