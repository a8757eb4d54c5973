// The WindowShard stub by name; its type comes from the generated Env.

/** The shard of `metric` in `project`. Names never collide: neither part may contain a colon. */
export function windowStub(env: Env, project: string, metric: string) {
  return env.WINDOWS.get(env.WINDOWS.idFromName(`win:${project}:${metric}`));
}
