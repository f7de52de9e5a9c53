import { z } from "zod";
import { parseIsoDateTime } from "../../lib/time";

const instant = (name: string) =>
  z.string().transform((value, ctx) => {
    const iso = parseIsoDateTime(value);
    if (iso === null) {
      ctx.addIssue({ code: "custom", message: `${name} must be an ISO 8601 date-time with Z or an offset` });
      return z.NEVER;
    }
    return iso;
  });

export const AnalyticsQuery = z
  .object({
    from: instant("from").optional(),
    to: instant("to").optional(),
    include_bots: z.enum(["true", "false"], { error: "include_bots must be true or false" }).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, "from must not be after to");
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

export const TrackingIdParam = z.object({
  tracking_id: z.string().max(100, "tracking_id exceeds 100 characters"),
});
