// Cron entry: enqueues jobs on the jobs queue so each job gets its own CPU budget and retries.

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  await env.JOBS_QUEUE.send({
    type: "tick",
    cron: controller.cron,
    scheduled_at: new Date(controller.scheduledTime).toISOString(),
  });
}
