/** Plain-text output of the read commands. */

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
