/** @jsxImportSource hono/jsx */
// One webhook: its settings (and, when the platform disabled it, why, with Enable), its deliveries
// with every attempt (filtered by status, Redeliver, Recover since a time), a test event, and its
// signing secret (shown only on request) with rotation.
import type { FC } from "hono/jsx";
import { Layout, type Viewer } from "../layout";
import type { Flash } from "../flash";
import type { WebhookRow } from "../../db/webhooks";
import type { SigningSecret } from "../../webhooks/lifecycle";
import { DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type DeliveryStatus } from "../../sequencer/records";
import { PostForm } from "../components/post-form";
import { EventList } from "../components/event-list";
import { Time } from "../components/time";
import { sourceWide } from "../components/source-wide";
import { DELIVERY_STATUS_WORDS, DeliveryStatusBadge } from "../components/delivery-status";
import { DeliveryStats } from "../components/delivery-stats";
import type { WebhookStats } from "../../sequencer/stats";

export type DeliveryWithAttempts = DeliveryRecord & { attemptLog: AttemptRecord[] };

export interface WebhookDetailProps {
  viewer: Viewer;
  flash?: Flash | undefined;
  webhook: WebhookRow;
  deliveries: DeliveryWithAttempts[];
  /** The body each event was delivered with, by event id (an event past retention has none); null: not readable now. */
  payloads: Map<string, string> | null;
  totalDeliveries: number;
  /** The deliveries shown are only those with this status; undefined: all. */
  status?: DeliveryStatus | undefined;
  page: number;
  pageSize: number;
  /** The last 24 hours, from the webhook's sequencer. */
  stats: WebhookStats;
  /** Set only in the answer to "Reveal secret", so the secret is never in a page nobody asked to see. */
  secret?: SigningSecret | undefined;
}

/** How much of a receiver's answer the page shows; the API gives the stored 4 KB. */
const SNIPPET_CHARS = 300;

const snippet = (body: string | null) => (body === null || body === "" ? null : body.length > SNIPPET_CHARS ? `${body.slice(0, SNIPPET_CHARS)}…` : body);

const SigningSecretCard: FC<{ viewer: Viewer; webhook: WebhookRow; secret?: SigningSecret | undefined }> = ({ viewer, webhook, secret }) => (
  <section class="card" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p>
      Every delivery is signed the Standard Webhooks way (<code>webhook-signature</code>); verify it with this secret
      using the <code>standardwebhooks</code> or <code>svix</code> libraries.
    </p>
    {secret ? (
      <>
        <p>
          <code class="secret" id="secret">{secret.key}</code>
        </p>
        {secret.previousKey && secret.previousKeyExpires ? (
          <p>
            The previous secret <code id="previous-secret">{secret.previousKey}</code> also signs deliveries until{" "}
            <Time ms={secret.previousKeyExpires} />.
          </p>
        ) : null}
        <p>
          <a href={`/ui/webhooks/${webhook.id}`}>Hide the secret</a>
        </p>
      </>
    ) : (
      <PostForm action={`/ui/webhooks/${webhook.id}/secret`} csrf={viewer.csrf}>
        <button type="submit" class="secondary">Reveal secret</button>
      </PostForm>
    )}
    <PostForm action={`/ui/webhooks/${webhook.id}/secret/rotate`} csrf={viewer.csrf} class="spaced">
      {/* Which rotation this page saw: a form sent again (a reload, a double click) does not rotate twice. */}
      <input type="hidden" name="rotated" value={String(webhook.previousSecretExpires ?? 0)} />
      <button type="submit" class="secondary" aria-describedby="rotate-hint">Rotate secret</button>
      <p class="hint" id="rotate-hint">A new secret signs from now on; the current one keeps signing too for 24 hours, while you switch over.</p>
    </PostForm>
  </section>
);

const AttemptTable: FC<{ attempts: AttemptRecord[]; caption: string }> = ({ attempts, caption }) =>
  attempts.length === 0 ? (
    <p class="muted">Not attempted yet.</p>
  ) : (
    <table class="stack attempts">
      <caption class="vh">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Attempt</th>
          <th scope="col">Started</th>
          <th scope="col">Status code</th>
          <th scope="col">Duration</th>
          <th scope="col">Error</th>
          <th scope="col">Response</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr>
            <td data-label="Attempt">{`${a.attempt} · ${a.outcome === "retry" ? "will retry" : a.outcome}`}</td>
            <td data-label="Started"><Time ms={a.started} /></td>
            <td data-label="Status code">{a.statusCode ?? <span class="muted">none</span>}</td>
            <td data-label="Duration">{`${a.durationMs} ms`}</td>
            <td data-label="Error">{a.error ? `${a.errorKind ? `${a.errorKind}: ` : ""}${a.error}` : <span class="muted">—</span>}</td>
            <td data-label="Response">{snippet(a.responseBody) === null ? <span class="muted">—</span> : <pre class="snippet">{snippet(a.responseBody)}</pre>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

const DeliveryItem: FC<{ viewer: Viewer; webhook: WebhookRow; delivery: DeliveryWithAttempts; payload: string | null | undefined }> = ({ viewer, webhook, delivery: d, payload }) => (
  <li class="delivery">
    <div class="delivery-head">
      <span>
        <code>{d.eventType}</code>
        {d.origin === "redelivery" ? <span class="muted"> (redelivery)</span> : null}
      </span>
      <DeliveryStatusBadge status={d.status} statusCode={d.lastStatusCode} />
      <span class="muted">
        <Time ms={d.created} /> · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
        {d.nextAttemptAt ? <> · next at <Time ms={d.nextAttemptAt} /></> : null}
      </span>
      <PostForm action={`/ui/webhooks/${webhook.id}/deliveries/${d.id}/redeliver`} csrf={viewer.csrf}>
        <button type="submit" class="secondary small" disabled={!webhook.enabled}>
          Redeliver<span class="vh"> {d.eventType} of <Time ms={d.created} /></span>
        </button>
      </PostForm>
    </div>
    <details open={d.status === "failed" || d.status === "retrying"}>
      <summary>Attempts<span class="vh"> of {d.eventType}</span></summary>
      <AttemptTable attempts={d.attemptLog} caption={`Attempts of ${d.eventType}`} />
      <details class="payload">
        <summary>Payload<span class="vh"> of {d.eventType}</span></summary>
        {payload === null ? (
          <p class="muted">The organization's event log cannot be read right now; reload to try again.</p>
        ) : payload === undefined ? (
          <p class="muted">The event is no longer kept.</p>
        ) : (
          <pre class="snippet">{payload}</pre>
        )}
      </details>
      <p class="hint">
        Event <code>{d.eventId}</code> · delivery <code>{d.id}</code>
      </p>
    </details>
  </li>
);

const pageHref = (id: string, page: number, status: DeliveryStatus | undefined) =>
  `/ui/webhooks/${id}?${new URLSearchParams({ ...(status ? { status } : {}), page: String(page) })}#deliveries-title`;

/** How far back "Recover" offers to go unless the user picks another time. */
const RECOVER_DEFAULT_MS = 24 * 60 * 60 * 1000;

const AutoDisabledBanner: FC<{ viewer: Viewer; webhook: WebhookRow }> = ({ viewer, webhook: w }) => (
  <section class="banner" aria-labelledby="auto-disabled-title">
    <h2 id="auto-disabled-title">Disabled automatically</h2>
    <p id="auto-disabled-reason">
      The platform disabled this webhook{w.disabledAt ? <> on <Time ms={w.disabledAt} /></> : null}: {w.disabledReason}. Nothing is sent to
      it, and the deliveries that were waiting were cancelled.
    </p>
    <p>When the receiver works again, enable the webhook; then send what failed or was cancelled again with Recover below.</p>
    <PostForm action={`/ui/webhooks/${w.id}/enabled`} csrf={viewer.csrf}>
      <input type="hidden" name="enabled" value="true" />
      <input type="hidden" name="return" value="detail" />
      <button type="submit">Enable</button>
    </PostForm>
  </section>
);

const RecoverCard: FC<{ viewer: Viewer; webhook: WebhookRow }> = ({ viewer, webhook }) => (
  <section class="card" aria-labelledby="recover-title">
    <h2 id="recover-title">Recover undelivered events</h2>
    <PostForm action={`/ui/webhooks/${webhook.id}/recover`} csrf={viewer.csrf}>
      <div class="field">
        <label for="since">Recover deliveries failed or cancelled since (UTC)</label>
        <input type="datetime-local" id="since" name="since" value={new Date(Date.now() - RECOVER_DEFAULT_MS).toISOString().slice(0, 16)} aria-describedby="since-hint" />
        <p class="hint" id="since-hint">
          Every event whose last delivery since then failed, or was cancelled while the webhook was disabled, is sent again once, in the order they were queued, after anything already waiting. Test events count too.
          {webhook.enabled ? " The webhook must be enabled." : <strong> Enable the webhook first: nothing is sent while it is disabled.</strong>}
        </p>
      </div>
      <button type="submit" disabled={!webhook.enabled}>Recover</button>
    </PostForm>
  </section>
);

const StatusFilter: FC<{ webhook: WebhookRow; status: DeliveryStatus | undefined }> = ({ webhook, status }) => (
  <form method="get" action={`/ui/webhooks/${webhook.id}#deliveries-title`} class="search" aria-label="Filter deliveries">
    <div class="field">
      <label for="status">Status</label>
      <select id="status" name="status">
        <option value="" selected={status === undefined}>All</option>
        {DELIVERY_STATUSES.map((s) => (
          <option value={s} selected={status === s}>{DELIVERY_STATUS_WORDS[s]}</option>
        ))}
      </select>
    </div>
    <button type="submit" class="secondary">Show</button>
  </form>
);

const Deliveries: FC<WebhookDetailProps> = ({ viewer, webhook, deliveries, payloads, totalDeliveries, status, page, pageSize }) => {
  const last = (page - 1) * pageSize + deliveries.length;
  const which = status ? ` ${DELIVERY_STATUS_WORDS[status].toLowerCase()}` : "";
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <div class="actions-row">
        <PostForm action={`/ui/webhooks/${webhook.id}/test`} csrf={viewer.csrf}>
          <button type="submit" aria-describedby="test-hint" disabled={!webhook.enabled}>Send test event</button>
        </PostForm>
        <a class="button secondary" href={`/ui/webhooks/${webhook.id}#deliveries-title`}>Refresh</a>
      </div>
      <p class="hint" id="test-hint">
        Sends a <code>webhook.test</code> event to this webhook only, signed like every delivery.
        {webhook.enabled ? null : <strong> Enable the webhook first: nothing is sent while it is disabled.</strong>}
      </p>
      <StatusFilter webhook={webhook} status={status} />
      {totalDeliveries === 0 ? (
        <p class="empty" id="deliveries-count">{status ? `No${which} deliveries.` : "No deliveries yet."}</p>
      ) : (
        <>
          <p class="muted" id="deliveries-count">
            {`Newest first: ${(page - 1) * pageSize + 1}–${last} of ${totalDeliveries}${which}.`}
          </p>
          <ul class="deliveries">
            {deliveries.map((d) => (
              <DeliveryItem viewer={viewer} webhook={webhook} delivery={d} payload={payloads === null ? null : payloads.get(d.eventId)} />
            ))}
          </ul>
        </>
      )}
      {totalDeliveries > pageSize ? (
        <nav class="pager" aria-label="Delivery pages">
          {page > 1 ? <a href={pageHref(webhook.id, page - 1, status)}>Newer</a> : null}
          <span>Page {page} of {Math.ceil(totalDeliveries / pageSize)}</span>
          {last < totalDeliveries ? <a href={pageHref(webhook.id, page + 1, status)}>Older</a> : null}
        </nav>
      ) : null}
    </section>
  );
};

export const WebhookDetailPage: FC<WebhookDetailProps> = (props) => {
  const { viewer, flash, webhook: w, secret, stats } = props;
  return (
    <Layout title={w.name} viewer={viewer} section="webhooks" flash={flash}>
      <p>
        <a href="/ui/webhooks">← All webhooks</a>
      </p>
      {!w.enabled && w.disabledReason ? <AutoDisabledBanner viewer={viewer} webhook={w} /> : null}
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <dl class="props">
          <dt>Status</dt>
          <dd>{w.enabled ? "Enabled" : w.disabledReason ? "Disabled automatically" : "Disabled"}</dd>
          <dt>Webhook URL</dt>
          <dd><code>{w.postUrl}</code></dd>
          <dt>Rate limit</dt>
          <dd>{w.rateLimit ? `${w.rateLimit} deliveries per second` : "No limit"}</dd>
          <dt>Source</dt>
          <dd>{w.source ?? "—"}</dd>
          <dt>Entity</dt>
          <dd>{w.entity ?? sourceWide(w) ?? "—"}</dd>
          <dt>Events</dt>
          <dd><EventList events={w.events} source={w.source} /></dd>
          <dt>Id</dt>
          <dd><code>{w.id}</code></dd>
          <dt>Created</dt>
          <dd><Time ms={w.created} /> by {w.createdBy}</dd>
          <dt>Updated</dt>
          <dd><Time ms={w.updated} /> by {w.updatedBy}</dd>
        </dl>
        <div class="actions-row">
          <a class="button" href={`/ui/webhooks/${w.id}/edit`}>Update</a>
          <a class="button secondary" href={`/ui/webhooks/${w.id}/remove`}>Remove</a>
        </div>
      </section>
      <DeliveryStats stats={stats} />
      <RecoverCard viewer={viewer} webhook={w} />
      <Deliveries {...props} />
      <SigningSecretCard viewer={viewer} webhook={w} secret={secret} />
    </Layout>
  );
};
