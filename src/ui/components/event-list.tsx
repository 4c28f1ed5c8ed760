/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";

/** A webhook's subscribed events; an empty list means every event of its source. */
export const EventList: FC<{ events: string[]; source: string | null }> = ({ events, source }) =>
  events.length === 0 ? (
    <span class="muted">{source ? `every ${source} event` : "—"}</span>
  ) : (
    <ul class="tags">
      {events.map((e) => (
        <li>
          <code>{e}</code>
        </li>
      ))}
    </ul>
  );
