import { z } from "zod";
import { isoInstant, queryLimit, strictBodyError } from "../../lib/schemas";

export const ApplicationIdParam = z.object({ application_id: z.guid("application_id must be a UUID") });

/** Text a person typed: trimmed; empty is no value. */
const text = (name: string, max: number) =>
  z
    .string({ error: `${name} must be a string` })
    .trim()
    .max(max, `${name} exceeds ${max} characters`)
    .transform((v) => (v === "" ? null : v))
    .nullable()
    .optional();

/** What names an application; a field left out keeps its value, null clears it. */
export const ApplicationLabel = z.strictObject(
  {
    company: text("company", 200).describe('"Acme"'),
    role: text("role", 200).describe('"Senior Engineer"'),
    job_id: z.guid("job_id must be a UUID").nullable().optional(),
    sent_at: isoInstant("sent_at", "2026-11-30T09:00:00Z").nullable().optional().describe("When the application was sent (ISO 8601)"),
    notes: text("notes", 2000),
  },
  { error: strictBodyError },
);
export type ApplicationLabel = z.infer<typeof ApplicationLabel>;

export const ApplicationView = z
  .object({
    application_id: z.string(),
    label: z.string().describe('"Acme — Senior Engineer", the company or the role alone, or the id\'s first 8 characters when it has no name'),
    company: z.string().nullable(),
    role: z.string().nullable(),
    job_id: z.string().nullable(),
    sent_at: z.string().nullable(),
    notes: z.string().nullable(),
    links: z.number().int().describe("Links carrying this application_id"),
    first_link_at: z.string().nullable(),
    created_at: z.string().nullable().describe("When it was first named; null for one only its links know"),
    updated_at: z.string().nullable(),
  })
  .describe("An application: its name, and how many links carry it");
export type ApplicationView = z.infer<typeof ApplicationView>;

export const ApplicationListQuery = z.object({
  limit: queryLimit(500).optional().describe("Applications per page: 1 to 500, 50 when absent"),
  cursor: z.string().max(400).optional().describe("next_cursor of the page before"),
  company: z.string().max(200, "company exceeds 200 characters").optional().describe("Only the applications of this company and `role` (case and outer spaces aside; absent or empty: none given): one page"),
  role: z.string().max(200, "role exceeds 200 characters").optional().describe("With `company`: only the applications for this role"),
});

/** A page of applications; next_cursor asks for the next page (null: the last). */
export const ApplicationPage = z.object({ applications: z.array(ApplicationView), next_cursor: z.string().nullable() });
