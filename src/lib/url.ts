/** A URL with its password hidden, for messages and logs (a DATABASE_URL carries one). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(malformed URL)";
  }
}
