/** @jsxImportSource hono/jsx */
// The per-row status switch: one click posts the new state (works without JavaScript) and the
// list comes back saying what changed. It sends the state wanted, not "flip", so a double submit
// cannot undo itself.
import type { FC } from "hono/jsx";
import { PostForm } from "./post-form";

export const StatusToggle: FC<{ id: string; name: string; enabled: boolean; csrf: string; q?: string }> = ({ id, name, enabled, csrf, q }) => (
  <PostForm action={`/ui/webhooks/${id}/enabled`} csrf={csrf}>
    <input type="hidden" name="enabled" value={enabled ? "false" : "true"} />
    {q ? <input type="hidden" name="q" value={q} /> : null}
    <button type="submit" class="switch" role="switch" aria-checked={enabled ? "true" : "false"} aria-label={`${name} enabled`}>
      <span class="track" aria-hidden="true"></span>
      <span aria-hidden="true">{enabled ? "Enabled" : "Disabled"}</span>
    </button>
  </PostForm>
);
