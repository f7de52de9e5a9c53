/**
 * The link_clicks table: every write and read of clicks goes through here.
 */
import { eq, sql } from "drizzle-orm";
import { changes, type Db } from "./index";
import { linkClicks, type NewClick } from "./schema";

export type ClickInsert = Required<Pick<NewClick, "clickId" | "trackingId" | "clickedAt" | "receivedAt" | "origin">> &
  Omit<NewClick, "clickId" | "trackingId" | "clickedAt" | "receivedAt" | "origin">;

const statements = new WeakMap<Db, ReturnType<typeof prepareInsert>>();

function prepareInsert(db: Db) {
  const p = (name: string) => sql.placeholder(name);
  return db
    .insert(linkClicks)
    .values({
      clickId: p("clickId"),
      trackingId: p("trackingId"),
      clickedAt: p("clickedAt"),
      receivedAt: p("receivedAt"),
      ipAddress: p("ipAddress"),
      userAgent: p("userAgent"),
      referrerUrl: p("referrerUrl"),
      sessionId: p("sessionId"),
      clickSource: p("clickSource"),
      metadata: p("metadata"),
      isBot: p("isBot"),
      visitorKind: p("visitorKind"),
      origin: p("origin"),
      outcome: p("outcome"),
      idempotencyKey: p("idempotencyKey"),
    })
    .onConflictDoNothing({ target: linkClicks.idempotencyKey })
    .prepare();
}

function insertStatement(db: Db) {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = prepareInsert(db);
    statements.set(db, stmt);
  }
  return stmt;
}

/** Runs in the caller's transaction. Returns false when the idempotency key was already stored. */
function insertOne(db: Db, click: ClickInsert): boolean {
  const result = insertStatement(db).run({
    clickId: click.clickId,
    trackingId: click.trackingId,
    clickedAt: click.clickedAt,
    receivedAt: click.receivedAt,
    ipAddress: click.ipAddress ?? null,
    userAgent: click.userAgent ?? null,
    referrerUrl: click.referrerUrl ?? null,
    sessionId: click.sessionId ?? null,
    clickSource: click.clickSource ?? null,
    metadata: click.metadata ?? {},
    isBot: click.isBot ? 1 : 0,
    visitorKind: click.visitorKind ?? "human",
    origin: click.origin,
    outcome: click.outcome ?? "redirected",
    idempotencyKey: click.idempotencyKey ?? null,
  });
  return changes(result) > 0;
}

/**
 * Writes all clicks in one immediate transaction: either every one is stored (or found
 * already stored by its idempotency key) or none is. Returns, per click, whether it was new.
 */
export function insertClicks(db: Db, clicks: ClickInsert[]): boolean[] {
  return db.transaction(() => clicks.map((click) => insertOne(db, click)), { behavior: "immediate" });
}

export function countClicks(db: Db): number {
  const row = db.select({ n: sql<number>`count(*)` }).from(linkClicks).get();
  return row?.n ?? 0;
}

export function findClickByKey(db: Db, idempotencyKey: string) {
  return db.select().from(linkClicks).where(eq(linkClicks.idempotencyKey, idempotencyKey)).get();
}
