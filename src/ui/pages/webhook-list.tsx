/** @jsxImportSource hono/jsx */
// The webhooks list: search, status switch and Actions (Update, Remove) per row.
import type { FC } from "hono/jsx";
import { Layout, type Viewer } from "../layout";
import type { Flash } from "../flash";
import type { WebhookRow } from "../../db/webhooks";
import { StatusToggle } from "../components/status-toggle";
import { ActionsMenu } from "../components/actions-menu";
import { EventList } from "../components/event-list";
import { DeliveryStatusBadge } from "../components/delivery-status";
import { Time } from "../components/time";
import { sourceWide } from "../components/source-wide";
import type { DeliveryRecord } from "../../sequencer/records";

export interface ListedWebhook {
  webhook: WebhookRow;
  /** Its most recent final delivery, if any. */
  lastOutcome: DeliveryRecord | null;
}

export interface WebhookListProps {
  viewer: Viewer;
  flash?: Flash | undefined;
  q: string;
  qError?: string | undefined;
  webhooks: ListedWebhook[];
  total: number;
  page: number;
  pageSize: number;
}

const withQuery = (path: string, q: string) => (q ? `${path}?q=${encodeURIComponent(q)}` : path);
const pageHref = (q: string, page: number) => `/ui/webhooks?${new URLSearchParams({ ...(q ? { q } : {}), page: String(page) })}`;

export const WebhookListPage: FC<WebhookListProps> = ({ viewer, flash, q, qError, webhooks, total, page, pageSize }) => {
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = (page - 1) * pageSize + webhooks.length;
  return (
    <Layout title="Webhooks" viewer={viewer} section="webhooks" flash={flash}>
      <div class="toolbar">
        <form method="get" action="/ui/webhooks" role="search" class="search">
          <div class="field">
            <label for="q">Search by name or URL</label>
            <input
              id="q"
              name="q"
              type="search"
              value={q}
              aria-invalid={qError ? "true" : undefined}
              aria-describedby={qError ? "q-error" : undefined}
            />
            {qError ? <p class="error" id="q-error">{qError}</p> : null}
          </div>
          <button type="submit" class="secondary">Search</button>
          {q ? <a href="/ui/webhooks">Clear search</a> : null}
        </form>
        <a class="button" href="/ui/webhooks/new">Create new webhook</a>
      </div>
      <p class="muted" id="count" aria-live="polite">
        {total === 0
          ? q ? `No webhook matches “${q}”.` : "No webhooks yet."
          : `Showing ${first}–${last} of ${total} webhook${total === 1 ? "" : "s"}${q ? ` matching “${q}”` : ""}.`}
      </p>
      {webhooks.length > 0 ? (
        <table class="stack">
          <caption class="vh">Webhooks</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">URL</th>
              <th scope="col">Source</th>
              <th scope="col">Entity</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Last delivery</th>
              <th scope="col"><span class="vh">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {webhooks.map(({ webhook: w, lastOutcome }) => (
              <tr>
                <td data-label="Name">
                  <a href={`/ui/webhooks/${w.id}`}>{w.name}</a>
                </td>
                <td data-label="URL" class="url">
                  <code>{w.postUrl}</code>
                </td>
                <td data-label="Source">{w.source ?? <span class="muted">—</span>}</td>
                <td data-label="Entity">{w.entity ?? <span class="muted">{sourceWide(w) ?? "—"}</span>}</td>
                <td data-label="Events">
                  <EventList events={w.events} source={w.source} />
                </td>
                <td data-label="Status">
                  <StatusToggle id={w.id} name={w.name} enabled={w.enabled} csrf={viewer.csrf} q={q} />
                  {!w.enabled && w.disabledReason ? <span class="muted small-text">Disabled automatically</span> : null}
                </td>
                <td data-label="Last delivery">
                  {lastOutcome ? (
                    <>
                      <DeliveryStatusBadge status={lastOutcome.status} statusCode={lastOutcome.lastStatusCode} />
                      <br />
                      <span class="muted small-text">
                        <code>{lastOutcome.eventType}</code> · <Time ms={lastOutcome.updated} />
                      </span>
                    </>
                  ) : (
                    <span class="muted">None yet</span>
                  )}
                </td>
                <td>
                  <ActionsMenu
                    name={w.name}
                    items={[
                      { href: `/ui/webhooks/${w.id}/edit`, label: "Update" },
                      { href: withQuery(`/ui/webhooks/${w.id}/remove`, q), label: "Remove" },
                    ]}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {total > pageSize ? (
        <nav class="pager" aria-label="Pages">
          {page > 1 ? <a href={pageHref(q, page - 1)}>Previous page</a> : null}
          <span>Page {page} of {Math.ceil(total / pageSize)}</span>
          {last < total ? <a href={pageHref(q, page + 1)}>Next page</a> : null}
        </nav>
      ) : null}
    </Layout>
  );
};
