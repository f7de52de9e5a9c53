/**
 * Signed-in dashboard browsers on PostgreSQL (dashboard_sessions): the drizzle table of
 * schema.ts read and written through its query builder, rows typed by it.
 */
import { and, desc, eq, gt, isNotNull, isNull, lt, or, type SQL } from "drizzle-orm";
import type { DashboardSession, SessionRepository, SessionsToRevoke } from "../store";
import type { PgContext } from "./context";
import { iso, isoOrNull } from "./rows";
import { dashboardSessions } from "./schema";

type Row = typeof dashboardSessions.$inferSelect;

const sessionOf = (row: Row): DashboardSession => ({ ...row, createdAt: iso(row.createdAt), expiresAt: iso(row.expiresAt), revokedAt: isoOrNull(row.revokedAt) });

const named = (which: SessionsToRevoke): SQL | undefined =>
  "id" in which ? eq(dashboardSessions.id, which.id) : "keyName" in which ? eq(dashboardSessions.keyName, which.keyName) : undefined;

export function sessionRepository(ctx: PgContext): SessionRepository {
  const first = async (where: SQL) => {
    const [row] = await ctx.guard(() => ctx.db.select().from(dashboardSessions).where(where).limit(1));
    return row ? sessionOf(row) : undefined;
  };
  return {
    insert: async (session) => {
      await ctx.guard(() => ctx.db.insert(dashboardSessions).values(session));
    },
    findByTokenHash: (hash) => first(eq(dashboardSessions.tokenHash, hash)),
    find: (id) => first(eq(dashboardSessions.id, id)),
    listActive: async (now) =>
      (
        await ctx.guard(() =>
          ctx.db
            .select()
            .from(dashboardSessions)
            .where(and(isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, now)))
            .orderBy(desc(dashboardSessions.createdAt), desc(dashboardSessions.id)),
        )
      ).map(sessionOf),
    revoke: async (which, at) => {
      const active = and(isNull(dashboardSessions.revokedAt), gt(dashboardSessions.expiresAt, at));
      const ended = await ctx.guard(() => ctx.db.update(dashboardSessions).set({ revokedAt: at }).where(and(active, named(which))).returning({ id: dashboardSessions.id }));
      return ended.length;
    },
    prune: async (before) => {
      const ended = or(lt(dashboardSessions.expiresAt, before), and(isNotNull(dashboardSessions.revokedAt), lt(dashboardSessions.revokedAt, before)));
      return (await ctx.guard(() => ctx.db.delete(dashboardSessions).where(ended).returning({ id: dashboardSessions.id }))).length;
    },
  };
}
