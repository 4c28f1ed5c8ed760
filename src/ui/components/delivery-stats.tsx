/** @jsxImportSource hono/jsx */
// A webhook's last 24 hours at a glance: totals, latency, backlog, and deliveries per hour by
// outcome as an SVG drawn on the server (the page runs no script). The figures are in the text;
// the chart only repeats them, and each bar names its hour and counts for screen readers.
import type { FC } from "hono/jsx";
import type { Latency, WebhookStats } from "../../sequencer/stats";

const CHART = { width: 480, height: 96, gap: 2 };

const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)} %`);
const upTo = (ms: number | null) => (ms === null ? "—" : `≤ ${ms} ms`);
const hourOf = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

const LatencyText: FC<{ latency: Latency }> = ({ latency }) => <>{`p50 ${upTo(latency.p50)}, p95 ${upTo(latency.p95)}`}</>;

const HourlyChart: FC<{ stats: WebhookStats }> = ({ stats }) => {
  const { series } = stats;
  const busiest = Math.max(0, ...series.map((p) => p.succeeded + p.failed));
  const highest = Math.max(1, busiest);
  const slot = CHART.width / series.length;
  const scale = (n: number) => (n / highest) * CHART.height;
  return (
    <svg class="chart" viewBox={`0 0 ${CHART.width} ${CHART.height}`} preserveAspectRatio="none" role="img" aria-labelledby="stats-chart-title">
      <title id="stats-chart-title">{`Deliveries per hour over the last 24 hours, succeeded and failed; the busiest hour had ${busiest}.`}</title>
      {series.map((point, i) => {
        const ok = scale(point.succeeded);
        const bad = scale(point.failed);
        return (
          <g>
            <title>{`${hourOf(point.start)}: ${point.succeeded} succeeded, ${point.failed} failed, ${point.attempts} attempts, latency p50 ${upTo(point.latencyMs.p50)}`}</title>
            <rect class="bar-ok" x={i * slot + CHART.gap / 2} y={CHART.height - ok} width={slot - CHART.gap} height={ok} />
            <rect class="bar-bad" x={i * slot + CHART.gap / 2} y={CHART.height - ok - bad} width={slot - CHART.gap} height={bad} />
          </g>
        );
      })}
    </svg>
  );
};

export const DeliveryStats: FC<{ stats: WebhookStats }> = ({ stats }) => {
  const { totals, backlog } = stats;
  return (
    <section class="card" aria-labelledby="stats-title">
      <h2 id="stats-title">Last 24 hours</h2>
      <dl class="stats" id="delivery-stats">
        <div><dt>Success rate</dt><dd>{percent(totals.successRate)}</dd></div>
        <div><dt>Succeeded</dt><dd>{totals.succeeded}</dd></div>
        <div><dt>Failed</dt><dd>{totals.failed}</dd></div>
        <div><dt>Attempts</dt><dd>{totals.attempts}</dd></div>
        <div><dt>Latency</dt><dd><LatencyText latency={totals.latencyMs} /></dd></div>
        <div>
          <dt>Backlog</dt>
          <dd>{backlog.pending === 0 ? "none" : `${backlog.pending} waiting, oldest for ${age(backlog.oldestAgeMs ?? 0)}`}</dd>
        </div>
      </dl>
      <HourlyChart stats={stats} />
      <p class="hint">
        Bars: deliveries per hour (UTC), <span class="key-ok">succeeded</span> and <span class="key-bad">failed</span>. Latency is
        of attempts, retries included.
      </p>
    </section>
  );
};
