/** @jsxImportSource hono/jsx */
// What the last action did. role=status is announced politely; errors use role=alert.
import type { FC } from "hono/jsx";
import type { Flash } from "../flash";

export const FlashMessage: FC<{ flash: Flash }> = ({ flash }) => (
  <p class={`flash ${flash.kind}`} role={flash.kind === "error" ? "alert" : "status"}>
    {flash.text}
  </p>
);
