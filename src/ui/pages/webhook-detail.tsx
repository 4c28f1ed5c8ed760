/** @jsxImportSource hono/jsx */
// One webhook: its settings, its signing secret (shown only on request) and the way to change it.
import type { FC } from "hono/jsx";
import { Layout, type Viewer } from "../layout";
import type { Flash } from "../flash";
import type { WebhookRow } from "../../db/webhooks";
import { PostForm } from "../components/post-form";
import { EventList } from "../components/event-list";
import { Time } from "../components/time";

export interface WebhookDetailProps {
  viewer: Viewer;
  flash?: Flash | undefined;
  webhook: WebhookRow;
  /** Set only in the answer to "Reveal", so the secret is never in a page nobody asked to see. */
  revealSecret?: boolean;
}

const SigningSecret: FC<WebhookDetailProps> = ({ viewer, webhook, revealSecret }) => (
  <section class="card" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p>
      Every delivery is signed the Standard Webhooks way (<code>webhook-signature</code>); verify it with this secret
      using the <code>standardwebhooks</code> or <code>svix</code> libraries.
    </p>
    {revealSecret ? (
      <>
        <p>
          <code class="secret" id="secret">{webhook.secret}</code>
        </p>
        {webhook.previousSecret && webhook.previousSecretExpires && webhook.previousSecretExpires > Date.now() ? (
          <p>
            The previous secret <code>{webhook.previousSecret}</code> also signs deliveries until{" "}
            <Time ms={webhook.previousSecretExpires} />.
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
  </section>
);

export const WebhookDetailPage: FC<WebhookDetailProps> = (props) => {
  const { viewer, flash, webhook: w } = props;
  return (
    <Layout title={w.name} viewer={viewer} section="webhooks" flash={flash}>
      <p>
        <a href="/ui/webhooks">← All webhooks</a>
      </p>
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <dl class="props">
          <dt>Status</dt>
          <dd>{w.enabled ? "Enabled" : "Disabled"}</dd>
          <dt>Webhook URL</dt>
          <dd><code>{w.postUrl}</code></dd>
          <dt>Source</dt>
          <dd>{w.source ?? "—"}</dd>
          <dt>Entity</dt>
          <dd>{w.entity ?? (w.source ? `every ${w.source} account` : "—")}</dd>
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
      <SigningSecret {...props} />
    </Layout>
  );
};
