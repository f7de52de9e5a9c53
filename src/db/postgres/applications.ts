/**
 * Applications on PostgreSQL: the names and fields the job seeker gives them, and the pages of every application.
 */
import { asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Application, ApplicationRepository } from "../store";
import { iso, isoOrNull, isUuid, num, rowsOf } from "./rows";
import type { PgContext } from "./context";
import { columnsAs } from "./columns";
import { applications as a } from "./schema";

type Row = typeof a.$inferSelect;
const applicationOf = (r: Row): Application => ({ ...r, sentAt: isoOrNull(r.sentAt), createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) });

export function applicationRepository(ctx: PgContext): ApplicationRepository {
  const given = (v: unknown) => v !== undefined;
  const select = (where: SQL | undefined) => ctx.db.select().from(a).where(where);
  // The most recent first: by the day it was sent, or made.
  const recentFirst = [sql`coalesce(${a.sentAt}, ${a.createdAt}) desc`, desc(a.applicationId)];
  const byName = (column: typeof a.company | typeof a.role, value: string | null) => sql`lower(btrim(coalesce(${column}, ''))) = lower(btrim(${value ?? ""}::text))`;
  return {
    put: async (id, changes, at) => {
      const { company, role, jobId, sentAt, notes } = changes;
      // A field left out keeps its value; one given as null is cleared.
      const [r] = rowsOf<Row>(await ctx.guard(() => ctx.db.execute(
        sql`insert into link_tracker.applications as a (application_id, company, role, job_id, sent_at, notes, created_at, updated_at)
            values (${id}::uuid, ${company ?? null}, ${role ?? null}, ${jobId ?? null}::uuid, ${sentAt ?? null}::timestamptz, ${notes ?? null},
              ${at}::timestamptz, ${at}::timestamptz)
            on conflict (application_id) do update set
              company = case when ${given(company)}::boolean then excluded.company else a.company end,
              role = case when ${given(role)}::boolean then excluded.role else a.role end,
              job_id = case when ${given(jobId)}::boolean then excluded.job_id else a.job_id end,
              sent_at = case when ${given(sentAt)}::boolean then excluded.sent_at else a.sent_at end,
              notes = case when ${given(notes)}::boolean then excluded.notes else a.notes end,
              updated_at = excluded.updated_at
            returning ${columnsAs(a)}`,
      )));
      return applicationOf(r!);
    },
    find: async (id) => {
      if (!isUuid(id)) return undefined;
      const [r] = await ctx.guard(() => select(eq(a.applicationId, id)));
      return r ? applicationOf(r) : undefined;
    },
    list: async (ids) => {
      const some = ids?.filter(isUuid);
      if (some?.length === 0) return [];
      return (await ctx.guard(() => select(some ? inArray(a.applicationId, some) : undefined).orderBy(asc(a.createdAt), asc(a.applicationId)))).map(applicationOf);
    },
    named: async (company, role) =>
      (await ctx.guard(() => select(sql`${byName(a.company, company)} and ${byName(a.role, role)}`).orderBy(...recentFirst))).map(applicationOf),
    search: async (text, limit) =>
      (
        await ctx.guard(() =>
          select(sql`strpos(lower(coalesce(${a.company}, '') || ' ' || coalesce(${a.role}, '')), lower(btrim(${text}::text))) > 0`)
            .orderBy(...recentFirst)
            .limit(limit),
        )
      ).map(applicationOf),
    withIdPrefix: async (prefix, limit) => {
      // A UUID's text is lower-case hex and hyphens: anything else matches nothing.
      const from = prefix.toLowerCase();
      if (!/^[0-9a-f-]{1,36}$/.test(from)) return [];
      const rows = await ctx.all<{ id: string }>(
        sql`select id from (
              select application_id::text as id from link_tracker.applications where application_id::text like ${`${from}%`}
              union select distinct application_id::text from link_tracking where application_id::text like ${`${from}%`}
            ) ids order by id limit ${limit}`,
      );
      return rows.map((r) => r.id);
    },
    page: async (limit, after) => {
      const since = after?.since ?? null;
      const rows = await ctx.all<{ applicationId: string; since: unknown; jobId: string | null; links: unknown; firstLinkAt: unknown }>(
        sql`with linked as (
              select application_id, max(job_id::text) as job_id, count(*) as links, min(created_at) as first_link_at
              from link_tracking where application_id is not null group by application_id
            ),
            listed as (
              select l.application_id, l.job_id, l.links, l.first_link_at, date_trunc('milliseconds', coalesce(a.sent_at, l.first_link_at)) as since
              from linked l left join link_tracker.applications a on a.application_id = l.application_id
              union all
              select a.application_id, null, 0, null, date_trunc('milliseconds', coalesce(a.sent_at, a.created_at))
              from link_tracker.applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)
            )
            select application_id::text as "applicationId", since, job_id as "jobId", links, first_link_at as "firstLinkAt" from listed
            where ${since}::timestamptz is null or since < ${since}::timestamptz
              or (since = ${since}::timestamptz and application_id < ${after?.applicationId ?? null}::uuid)
            order by since desc, application_id desc limit ${limit}`,
      );
      return rows.map((r) => ({ ...r, since: iso(r.since), links: num(r.links), firstLinkAt: isoOrNull(r.firstLinkAt) }));
    },
    count: async () => {
      const r = await ctx.one<{ n: unknown }>(
        sql`select (select count(distinct application_id) from link_tracking where application_id is not null)
                 + (select count(*) from link_tracker.applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)) as n`,
      );
      return num(r?.n);
    },
  };
}
