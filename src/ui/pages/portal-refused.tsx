/** @jsxImportSource hono/jsx */
// A portal link that cannot open the page (used, expired, forged, another organization's) or a
// portal session that ended: why, with the way back to the host product in the header when we know it.
import type { FC } from "hono/jsx";
import type { OrganizationRow } from "../../db/portal-links";
import { hostOf, Layout } from "../layout";

export interface PortalRefusedProps {
  title: string;
  reason: string;
  organization: OrganizationRow | undefined;
  returnUrl: string | null;
}

export const PortalRefusedPage: FC<PortalRefusedProps> = ({ title, reason, organization, returnUrl }) => {
  const host = organization ? hostOf(organization, returnUrl) : undefined;
  return (
    <Layout title={title} host={host}>
      <div class="card narrow">
        <p role="alert">{reason}</p>
      </div>
    </Layout>
  );
};
