import type { AppEnv, Principal } from "../http/context";
import type { OrganizationRow, PortalScope } from "../db/portal-links";

/** A signed-in page user: the admin key they signed in with, re-checked on every request. */
export interface Session {
  /** Random per sign-in; the CSRF token is bound to it. */
  id: string;
  principal: Principal;
  expires: number;
  /** Set when the session was opened through a portal link: what it may see, and the host's look. */
  portal?: Portal;
}

export interface Portal {
  scope: PortalScope;
  returnUrl: string | null;
  organization: OrganizationRow;
}

export interface UiEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    session: Session;
    csrf: string;
    /** The POSTed form, read once (size-limited) by the CSRF check. */
    form: URLSearchParams;
    /** Origins allowed to frame this response (a portal page of an organization); none otherwise. */
    frameAncestors: string[];
  };
}
