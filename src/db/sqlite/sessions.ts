/** The dashboard_sessions table: signed-in dashboard browsers, found by their token's hash. */
import { and, desc, eq, gt, isNotNull, isNull, lt, or, type SQL } from "drizzle-orm";
import type { DashboardSession, SessionsToRevoke } from "../store";
import { changes, type Db } from "./index";
import { dashboardSessions } from "./schema";

export function insertSession(db: Db, row: Omit<DashboardSession, "revokedAt">): void {
  db.insert(dashboardSessions).values(row).run();
}

export function findSessionByTokenHash(db: Db, tokenHash: string): DashboardSession | undefined {
  return db.select().from(dashboardSessions).where(eq(dashboardSessions.tokenHash, tokenHash)).get();
}

export function findSession(db: Db, id: string): DashboardSession | undefined {
  return db.select().from(dashboardSessions).where(eq(dashboardSessions.id, id)).get();
}

export function listActiveSessions(db: Db, now: string): DashboardSession[] {
  return db
    .select()
    .from(dashboardSessions)
    .where(and(isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, now)))
    .orderBy(desc(dashboardSessions.createdAt), desc(dashboardSessions.id))
    .all();
}

const named = (which: SessionsToRevoke): SQL | undefined =>
  "id" in which ? eq(dashboardSessions.id, which.id) : "keyName" in which ? eq(dashboardSessions.keyName, which.keyName) : undefined;

export function revokeSessions(db: Db, which: SessionsToRevoke, at: string): number {
  const active = and(isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, at));
  return changes(db.update(dashboardSessions).set({ revokedAt: at }).where(and(active, named(which))).run());
}

export function pruneSessions(db: Db, before: string): number {
  const ended = or(lt(dashboardSessions.expiresAt, before), and(isNotNull(dashboardSessions.revokedAt), lt(dashboardSessions.revokedAt, before)));
  return changes(db.delete(dashboardSessions).where(ended).run());
}
