/** Plain-text output of the read commands. */
import type { LinkView } from "../modules/links/model";

export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

/** A horizontal bar per row, scaled to the largest value: a chart that fits a terminal. */
export function bars(rows: { label: string; value: number }[], width = 40): string {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const labelWidth = Math.max(0, ...rows.map((r) => r.label.length));
  return rows
    .map((r) => `${r.label.padEnd(labelWidth)}  ${"█".repeat(Math.round((r.value / max) * width)) || (r.value > 0 ? "▏" : "")} ${r.value}`)
    .join("\n");
}

/** A destination's last check in words: "answers (200), checked …", "DOWN since …: 404 Not Found", … */
export function destinationText(d: LinkView["destination"]): string {
  if (!d) return "not checked yet";
  if (d.ok) return `answers (${d.status}), checked ${d.checked_at}`;
  return d.down ? `DOWN since ${d.down_since}: ${d.error} (checked ${d.checked_at})` : `failed once: ${d.error} (checked ${d.checked_at}; down at a second failure in a row)`;
}

/** One link, a field a line, its destination in words. */
export function printLink(link: LinkView): void {
  const { destination, ...fields } = link;
  const rows = Object.entries(fields).map(([k, v]) => [k, v === null ? "-" : String(v)]);
  if (destination !== undefined) rows.push(["destination", destinationText(destination)]);
  print(table(["FIELD", "VALUE"], rows));
}
