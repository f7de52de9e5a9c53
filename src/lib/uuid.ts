/** A UUID (version 5's layout) made from a text: the same text, the same UUID, on every run. */
export function uuidFrom(text: string): string {
  const h = new Bun.CryptoHasher("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
