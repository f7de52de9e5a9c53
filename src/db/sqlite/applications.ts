/** The applications table: the names of applications (their links carry the id). */
import { eq, inArray } from "drizzle-orm";
import type { Application, ApplicationChanges, ApplicationCursor, ApplicationListed } from "../store";
import type { Db } from "./index";
import { applications } from "./schema";

export function putApplication(db: Db, applicationId: string, changes: ApplicationChanges, at: string): Application {
  return db
    .insert(applications)
    .values({ applicationId, ...changes, createdAt: at, updatedAt: at })
    .onConflictDoUpdate({ target: applications.applicationId, set: { ...changes, updatedAt: at } })
    .returning()
    .get();
}

export function findApplication(db: Db, applicationId: string): Application | undefined {
  return db.select().from(applications).where(eq(applications.applicationId, applicationId)).get();
}

export function listApplications(db: Db, ids?: string[]): Application[] {
  const query = db.select().from(applications);
  return (ids ? query.where(inArray(applications.applicationId, ids)) : query).orderBy(applications.createdAt).all();
}

/**
 * A page of every application, named or known by its links only (one pass over the
 * links' application index), most recent first. Runs on the reader thread when there is one.
 */
export function applicationPage(db: Db, limit: number, after?: ApplicationCursor): ApplicationListed[] {
  return db.$client
    .query<ApplicationListed, [string | null, string | null, number]>(
      `with linked as (
         select application_id, max(job_id) as job_id, count(*) as links, min(created_at) as first_link_at
         from link_tracking where application_id is not null group by application_id
       ),
       listed as (
         select l.application_id, l.job_id, l.links, l.first_link_at, coalesce(a.sent_at, l.first_link_at) as since
         from linked l left join applications a on a.application_id = l.application_id
         union all
         select a.application_id, null, 0, null, coalesce(a.sent_at, a.created_at)
         from applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)
       )
       select application_id as applicationId, since, job_id as jobId, links, first_link_at as firstLinkAt from listed
       where ?1 is null or since < ?1 or (since = ?1 and application_id < ?2)
       order by since desc, application_id desc limit ?3`,
    )
    .all(after?.since ?? null, after?.applicationId ?? null, limit);
}

export function countApplications(db: Db): number {
  return db.$client
    .query<{ n: number }, []>(
      `select (select count(distinct application_id) from link_tracking where application_id is not null)
            + (select count(*) from applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)) as n`,
    )
    .get()!.n;
}

/** ApplicationRepository.named: company and role compared as the job seeker means them (case and outer spaces aside). */
export function namedApplications(db: Db, company: string | null, role: string | null): Application[] {
  return db.$client
    .query<Application, [string, string]>(
      `select application_id as applicationId, company, role, job_id as jobId, sent_at as sentAt, notes, created_at as createdAt, updated_at as updatedAt
       from applications where lower(trim(coalesce(company, ''))) = lower(trim(?)) and lower(trim(coalesce(role, ''))) = lower(trim(?))
       order by coalesce(sent_at, created_at) desc, application_id desc`,
    )
    .all(company ?? "", role ?? "");
}

/** ApplicationRepository.search: a scan of the named applications (a job seeker's are thousands at most). */
export function searchApplications(db: Db, text: string, limit: number): Application[] {
  return db.$client
    .query<Application, [string, number]>(
      `select application_id as applicationId, company, role, job_id as jobId, sent_at as sentAt, notes, created_at as createdAt, updated_at as updatedAt
       from applications where instr(lower(coalesce(company, '') || ' ' || coalesce(role, '')), lower(trim(?))) > 0
       order by coalesce(sent_at, created_at) desc, application_id desc limit ?`,
    )
    .all(text, limit);
}

/** ApplicationRepository.withIdPrefix: by the index on each table's application id (ids are stored lower case). */
export function applicationIdsWithPrefix(db: Db, prefix: string, limit: number): string[] {
  const from = prefix.toLowerCase();
  // The first id past every id with this prefix: the prefix with its last character one higher.
  const to = from.slice(0, -1) + String.fromCharCode(from.charCodeAt(from.length - 1) + 1);
  return db.$client
    .query<{ id: string }, [string, string, string, string, number]>(
      `select id from (
         select application_id as id from applications where application_id >= ? and application_id < ?
         union select distinct application_id from link_tracking where application_id >= ? and application_id < ?
       ) order by id limit ?`,
    )
    .all(from, to, from, to, limit)
    .map((r) => r.id);
}
