/** @jsxImportSource hono/jsx */
// What the page shows when a request cannot be served (unknown webhook, refused form, our fault).
import type { FC } from "hono/jsx";
import { Layout, type Viewer } from "../layout";

export const ErrorPage: FC<{ status: number; message: string; viewer?: Viewer | undefined }> = ({ status, message, viewer }) => (
  <Layout title={status === 404 ? "Not found" : status >= 500 ? "Something went wrong" : "Request refused"} viewer={viewer}>
    <div class="card narrow">
      <p>{message}</p>
      <p>
        <a href="/ui/webhooks">Back to the webhooks</a>
      </p>
    </div>
  </Layout>
);
