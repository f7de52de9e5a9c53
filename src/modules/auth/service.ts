import { timingSafeEqual } from "node:crypto";
import type { Config } from "../../config";
import type { DashboardSession, Scope, Store } from "../../db/store";
import { Conflict, NotFound } from "../../lib/errors";
import { nowIso } from "../../lib/time";

export type { Scope };

/** Each scope allows everything the ones before it allow. */
const RANK: Record<Scope, number> = { ingest: 0, read: 1, admin: 2 };

export const allows = (held: Scope, needed: Scope): boolean => RANK[held] >= RANK[needed];

/** Who sent a request: a key's name and scope, and the dashboard session it came through, if one. */
export type Principal = { name: string; scope: Scope; session?: DashboardSession };

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest();

export const hashKey = (key: string): string => sha256(key).toString("hex");

/** The key a request presents: `X-API-Key: KEY` or `Authorization: Bearer KEY`. */
export function presentedKey(headers: Headers): string | undefined {
  const header = headers.get("x-api-key")?.trim();
  if (header) return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return match?.[1];
}

/**
 * Who holds `key`, or null. WEBHOOK_API_KEY is compared in constant time (both sides
 * hashed first, so lengths never differ); stored keys are found by their hash.
 */
export async function authenticate(store: Store, config: Config, key: string | undefined): Promise<Principal | null> {
  if (!key) return null;
  if (config.webhookApiKey && timingSafeEqual(sha256(key), sha256(config.webhookApiKey))) {
    return { name: "WEBHOOK_API_KEY", scope: "admin" };
  }
  const row = await store.keys.findActiveByHash(hashKey(key));
  if (!row) return null;
  noteUse(store, row.id);
  return { name: row.name, scope: row.scope };
}

const TOUCH_EVERY_MS = 60_000;
const lastTouched = new Map<string, number>();

/** Records when a key was last used, writing at most once a minute per key. */
function noteUse(store: Store, keyId: string): void {
  const now = Date.now();
  if (now - (lastTouched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
  lastTouched.set(keyId, now);
  // A read-only or busy database must not refuse a valid key.
  store.keys.touch(keyId, new Date(now).toISOString()).catch(() => {});
}

/** A new random key: 256 bits, URL-safe, with a prefix that makes it easy to spot in a leak scan. */
export const generateKey = (): string => `lt_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;

export async function createKey(store: Store, name: string, scope: Scope): Promise<string> {
  if (await store.keys.findByName(name)) throw new Conflict(`a key named "${name}" already exists`);
  const key = generateKey();
  await store.keys.insert({ id: Bun.randomUUIDv7(), name, scope, keyHash: hashKey(key), createdAt: nowIso() });
  return key;
}

/**
 * With no WEBHOOK_API_KEY and no stored key, nobody could use the API: make an admin
 * key and return it so the caller can show it once. Returns null when a key exists.
 */
export async function ensureInitialKey(store: Store, config: Config): Promise<string | null> {
  if (config.webhookApiKey || (await store.keys.countActive()) > 0) return null;
  return createKey(store, "initial-admin", "admin");
}

/** Revokes a key and ends the dashboard sessions opened with it. */
export async function revokeKeyByName(store: Store, name: string): Promise<void> {
  const at = nowIso();
  if (!(await store.keys.revoke(name, at))) throw new NotFound(`no active key named "${name}"`);
  await store.sessions.revoke({ keyName: name }, at);
}

export async function keyViews(store: Store) {
  return (await store.keys.list()).map((k) => ({
    name: k.name,
    scope: k.scope,
    created_at: k.createdAt,
    last_used_at: k.lastUsedAt,
    revoked_at: k.revokedAt,
  }));
}

export const SCOPES: Scope[] = ["ingest", "read", "admin"];
