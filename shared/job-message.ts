// The jobs queue's message: the job to run, and its project so a dead-lettered message still says
// whose it was (GET /v1/dead-letters lists a project's own).
import { z } from "zod";

export const JobMessageSchema = z.object({
  job_id: z.string().min(1),
  /** Absent on messages queued before it was added. */
  project: z.string().min(1).optional(),
});
export type JobMessage = z.infer<typeof JobMessageSchema>;
