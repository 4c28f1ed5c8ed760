/** @jsxImportSource hono/jsx */
// "Are you sure?" as a page of its own, so removing asks for OK even without JavaScript.
import type { Child, FC } from "hono/jsx";
import { Layout, type Section, type Viewer } from "../layout";
import { PostForm } from "../components/post-form";

export interface ConfirmProps {
  viewer: Viewer;
  section: Section;
  title: string;
  action: string;
  cancelHref: string;
  hidden?: Record<string, string>;
  children?: Child;
}

export const ConfirmPage: FC<ConfirmProps> = ({ viewer, section, title, action, cancelHref, hidden, children }) => (
  <Layout title={title} viewer={viewer} section={section}>
    <div class="card narrow">
      {children}
      <PostForm action={action} csrf={viewer.csrf}>
        {Object.entries(hidden ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <div class="actions-row">
          <button type="submit" class="danger">OK</button>
          <a class="button secondary" href={cancelHref}>Cancel</a>
        </div>
      </PostForm>
    </div>
  </Layout>
);
