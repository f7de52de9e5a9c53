/** The applications table: the names of applications (their links carry the id). */
import { eq, inArray } from "drizzle-orm";
import type { Application, ApplicationChanges } from "../store";
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
