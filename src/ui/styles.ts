// The page's only stylesheet, served by the Worker at /ui/app.css (no CDN). Colours keep text at
// 4.5:1 contrast or better; focus is always visible; below 48rem tables turn into stacked cards.
export const STYLESHEET = `
:root{--ink:#1b1f24;--muted:#4b5563;--line:#c9ced6;--bg:#f5f6f8;--card:#fff;--brand:#0b57a4;--brand-dark:#083f78;
--ok:#116329;--ok-bg:#e6f4ea;--bad:#a4161a;--bad-bg:#fdecec;--focus:#f59e0b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--brand)}
a:hover{color:var(--brand-dark)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
.top{background:#14213d;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
.top a{color:#fff}
.brand{font-weight:700;text-decoration:none;font-size:1.1rem}
.top nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1rem;flex-wrap:wrap}
.top nav a{text-decoration:none;padding:.25rem 0;border-bottom:2px solid transparent}
.top nav a[aria-current=page]{border-bottom-color:#fff}
.who{margin-left:auto;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;font-size:.9rem}
.who form{margin:0}
.who button{background:transparent;color:#fff;border:1px solid #fff;padding:.2rem .7rem}
main{max-width:84rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
.card>h2:first-child{margin-top:0}
.narrow{max-width:32rem}
.banner{background:var(--bad-bg);color:var(--ink);border:2px solid var(--bad);border-radius:8px;padding:1rem;margin-bottom:1rem}
.banner>h2:first-child{margin-top:0;color:var(--bad)}
.flash{border-radius:6px;padding:.75rem 1rem;margin-bottom:1rem;border:1px solid}
.flash.success{background:var(--ok-bg);color:var(--ok);border-color:var(--ok)}
.flash.error{background:var(--bad-bg);color:var(--bad);border-color:var(--bad)}
.toolbar{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;justify-content:space-between;margin-bottom:1rem}
.search{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap}
.search .field{margin:0}
label,.label{display:block;font-weight:600;margin-bottom:.25rem}
.field{margin-bottom:1rem}
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 0}
.error{color:var(--bad);font-weight:600;font-size:.95rem;margin:.25rem 0 0}
input[type=text],input[type=url],input[type=email],input[type=password],input[type=search],input[type=datetime-local],select,textarea{
width:100%;max-width:40rem;font:inherit;padding:.5rem .6rem;border:1px solid #767d87;border-radius:6px;background:#fff;color:var(--ink)}
input[aria-invalid=true],select[aria-invalid=true],textarea[aria-invalid=true]{border-color:var(--bad);border-width:2px}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:0 0 1rem;max-width:40rem}
legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400;margin:.25rem 0}
.check input{width:1.25rem;height:1.25rem;margin:0}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.5rem 1rem;border-radius:6px;border:1px solid var(--brand);
background:var(--brand);color:#fff;text-decoration:none;cursor:pointer;line-height:1.4}
button:hover,.button:hover{background:var(--brand-dark);color:#fff}
button:disabled,button:disabled:hover{background:#e9ecef;border-color:#adb5bd;color:#5c636a;cursor:not-allowed}
.secondary{background:#fff;color:var(--brand)}
.secondary:hover{background:#e8f0fa;color:var(--brand-dark)}
.danger{background:var(--bad);border-color:var(--bad)}
.danger:hover{background:#7f1013}
.actions-row{display:flex;gap:.75rem;flex-wrap:wrap;align-items:center;margin-top:1rem}
table{width:100%;border-collapse:collapse;background:var(--card)}
th,td{text-align:left;padding:.6rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.url{overflow-wrap:anywhere;min-width:12rem;max-width:28rem}
time{white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
.tags{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
.tags li{background:#e8edf3;border-radius:4px;padding:0 .4rem;font-size:.85rem}
.muted{color:var(--muted)}
.switch{display:flex;align-items:center;gap:.5rem;background:none;border:none;color:var(--ink);padding:.25rem 0;font-weight:600}
.switch:hover{background:none;color:var(--ink)}
.switch .track{width:2.5rem;height:1.4rem;border-radius:1rem;background:#767d87;position:relative;flex:none}
.switch .track::after{content:"";position:absolute;top:.2rem;left:.2rem;width:1rem;height:1rem;border-radius:50%;background:#fff}
.switch[aria-checked=true] .track{background:var(--ok)}
.switch[aria-checked=true] .track::after{left:1.3rem}
.switch form{margin:0}
td form{margin:0}
.menu{position:relative;display:inline-block}
.menu summary{white-space:nowrap;list-style:none;cursor:pointer;padding:.35rem .75rem;border:1px solid var(--brand);border-radius:6px;color:var(--brand);font-weight:600}
.menu summary::-webkit-details-marker{display:none}
.menu summary::after{content:" \\25BE"}
.menu ul{position:absolute;right:0;z-index:5;list-style:none;margin:.25rem 0 0;padding:.25rem 0;background:#fff;border:1px solid var(--line);
border-radius:6px;box-shadow:0 4px 12px rgba(0,0,0,.15);min-width:8rem}
.menu li a{display:block;padding:.4rem .9rem;text-decoration:none;color:var(--ink)}
.menu li a:hover,.menu li a:focus{background:#e8f0fa}
dl.props{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem;margin:0}
dl.props dt{font-weight:600}
dl.props dd{margin:0;overflow-wrap:anywhere}
.secret{background:#fff8e1;border:1px solid #b58900;border-radius:6px;padding:.5rem;display:block}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.85rem;font-weight:600;border:1px solid}
.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.wait{background:#eef0f3;color:var(--muted)}
.small-text{font-size:.85rem}
button.small{padding:.2rem .6rem;font-size:.9rem}
.spaced{margin-top:1rem}
ul.deliveries{list-style:none;margin:0;padding:0}
li.delivery{border-top:1px solid var(--line);padding:.6rem 0}
.delivery-head{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
.delivery-head form{margin:0 0 0 auto}
li.delivery summary{cursor:pointer;color:var(--brand);font-weight:600;margin-top:.3rem}
pre.snippet{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem;max-height:8rem;overflow:auto;background:#f1f3f5;padding:.25rem .4rem;border-radius:4px}
.pager{display:flex;gap:1rem;align-items:center;margin-top:1rem}
.empty{padding:1.5rem;text-align:center;color:var(--muted)}
dl.stats{display:flex;flex-wrap:wrap;gap:.5rem 1.75rem;margin:0 0 .75rem}
dl.stats dt{font-size:.85rem;color:var(--muted)}
dl.stats dd{margin:0;font-weight:600;font-size:1.1rem}
svg.chart{display:block;width:100%;max-width:40rem;height:6rem;border-bottom:1px solid var(--line)}
.bar-ok{fill:var(--ok)}
.bar-bad{fill:var(--bad)}
.key-ok{color:var(--ok);font-weight:600}
.key-bad{color:var(--bad);font-weight:600}
@media (max-width:48rem){
  table.stack thead{position:absolute;left:-9999px}
  table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
  table.stack tr{border:1px solid var(--line);border-radius:8px;margin-bottom:.75rem;padding:.25rem .5rem;background:var(--card)}
  table.stack td{border:none;padding:.35rem 0;max-width:none}
  table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;font-weight:600;color:var(--muted);text-transform:uppercase}
  .menu ul{left:0;right:auto}
  .who{margin-left:0}
  dl.props{grid-template-columns:1fr}
}
`;

/** Visually hidden but read by screen readers (e.g. which row an "Actions" button belongs to). */
export const VISUALLY_HIDDEN = ".vh{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}";

/**
 * A host's accent colour as the page's brand: links, buttons and the header. White text sits on
 * it, so a colour too light for 4.5:1 contrast is darkened until it reaches that (the hue stays).
 */
export function accentStylesheet(color: string): string {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16));
  const shade = (factor: number) => rgb.map((v) => Math.round(v * factor));
  let factor = 1;
  while (contrastWithWhite(shade(factor)) < 4.5) factor -= 0.05;
  const hex = (channels: number[]) => `#${channels.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
  return `:root{--brand:${hex(shade(factor))};--brand-dark:${hex(shade(factor * 0.75))}}\n.top{background:var(--brand-dark)}\n`;
}

function contrastWithWhite(rgb: number[]): number {
  const [r, g, b] = rgb.map((v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}
