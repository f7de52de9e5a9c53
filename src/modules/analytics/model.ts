import { z } from "zod";
import { isoInstant } from "../../lib/schemas";

export const AnalyticsQuery = z
  .object({
    from: isoInstant("from").optional(),
    to: isoInstant("to").optional(),
    include_bots: z.enum(["true", "false"], { error: "include_bots must be true or false" }).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, "from must not be after to");
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

export const TrackingIdParam = z.object({
  tracking_id: z.string().max(100, "tracking_id exceeds 100 characters"),
});
