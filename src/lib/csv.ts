/** RFC 4180 CSV, with cells a spreadsheet would run as a formula made inert. */

// = + - @ start a formula in Excel, LibreOffice and Sheets, also after leading blanks
// (" =1+1", "\n=cmd"); tab and CR can too (OWASP).
const FORMULA_START = /^[\s\u00a0]*[=+\-@]|^[\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvRow = (values: unknown[]): string => `${values.map(csvCell).join(",")}\r\n`;
