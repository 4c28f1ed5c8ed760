/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";

/** An epoch-milliseconds time, shown in UTC (the server cannot know the reader's zone without JS). */
export const Time: FC<{ ms: number }> = ({ ms }) => {
  const iso = new Date(ms).toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time>;
};
