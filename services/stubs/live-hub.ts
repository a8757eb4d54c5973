// The LiveHub stub by name. The class type comes from the generated Env, so no module here imports
// a Durable Object class (entries are not imported by services).

/** Hub `index` of `project`'s fan-out tree (0 is the root). */
export function hubStub(env: Env, project: string, index: number) {
  return env.LIVE_HUB.get(env.LIVE_HUB.idFromName(`hub:${project}:${index}`));
}
