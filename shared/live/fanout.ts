// The fan-out tree of hubs: hub 0 is the root; hub i's children are i·F+1 … i·F+F (a complete F-ary tree).

/** The children of hub `index` among the first `hubCount` hubs. */
export function childrenOf(index: number, fanout: number, hubCount: number): number[] {
  const out: number[] = [];
  for (let c = index * fanout + 1; c <= index * fanout + fanout && c < hubCount; c++) out.push(c);
  return out;
}

/** The parent of hub `index` (the root has none). */
export function parentOf(index: number, fanout: number): number | null {
  return index === 0 ? null : Math.floor((index - 1) / fanout);
}

/** Depth of hub `index` (the root is 0): how many hops an update takes to reach it. */
export function depthOf(index: number, fanout: number): number {
  let d = 0;
  for (let i = index; i > 0; i = Math.floor((i - 1) / fanout)) d++;
  return d;
}

/**
 * The hub a new socket goes to: the lowest-numbered hub with room, so hubs fill breadth-first and the
 * tree stays shallow. `sockets[i]` is hub i's count; an index past the end is a new hub.
 */
export function assignHub(sockets: readonly number[], capacity: number): number {
  for (let i = 0; i < sockets.length; i++) if ((sockets[i] as number) < capacity) return i;
  return sockets.length;
}
