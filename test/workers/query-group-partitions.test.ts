// GROUP BY past the group cap answers through QuerySplit invocations, one per hash partition of its
// GROUP BY keys, instead of QUERY_TOO_LARGE; the answers are the ones a single invocation gives
// without the cap (QUERY_SPLIT_FILES is 2 in tests, so the 12 files split).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectCatalog } from "../../services/query/catalog";
import { projectFanOut } from "../../services/query/fan-out";
import { QueryError, runQuery } from "../../shared/query";
import { createProject } from "./helpers";
import { landManyFiles } from "./lake-helpers";

/** A project whose lake holds landManyFiles' 12 files. */
async function projectWithManyFiles() {
  const p = await createProject("group-split");
  await landManyFiles(p.id);
  return p;
}

const PER_EVENT = "SELECT event_id, user_id, count(*) AS n, min(ts) AS first_ts FROM events GROUP BY 1, 2 ORDER BY 1";
const USER_MINUTES = `SELECT user_id, date_trunc('minute', ts) AS m, count(*) AS n FROM events
  GROUP BY 1, 2 HAVING count(*) >= 1 ORDER BY 1 NULLS FIRST, 2 LIMIT 150`;
const RETENTION = `WITH first AS (SELECT user_id, date_trunc('hour', min(ts)) AS cohort FROM events WHERE user_id IS NOT NULL GROUP BY 1),
activity AS (SELECT DISTINCT user_id, date_trunc('minute', ts) AS minute FROM events WHERE user_id IS NOT NULL)
SELECT f.cohort, date_diff('hour', f.cohort, a.minute) AS hour_n, count(*) AS user_minutes
FROM first f JOIN activity a USING (user_id) GROUP BY 1, 2 ORDER BY 1, 2`;

describe("GROUP BY split by hash partition over QuerySplit invocations", () => {
  it("answers a GROUP BY past the group cap through splits instead of QUERY_TOO_LARGE", async () => {
    const p = await projectWithManyFiles();
    const catalog = () => projectCatalog(env, p.id);
    const cap = 60;
    for (const sql of [PER_EVENT, USER_MINUTES, RETENTION]) {
      const reference = await runQuery(sql, catalog());
      expect(reference.statistics.splits, sql).toBe(0);
      const split = await runQuery(sql, catalog(), { maxGroups: cap, fanOut: projectFanOut(env, exports, p.id) });
      expect(split.rows, sql).toEqual(reference.rows);
      // Six file splits gave up at the cap, then one split per hash partition answered.
      expect(split.statistics.splits, sql).toBeGreaterThanOrEqual(2);
    }
    // With no GROUP BY key there is nothing to partition by: the cap stands.
    const whole = runQuery("SELECT count(DISTINCT event_id) AS n FROM events", catalog(), {
      maxGroups: 20,
      fanOut: projectFanOut(env, exports, p.id),
    });
    await expect(whole).rejects.toBeInstanceOf(QueryError);
    await expect(whole).rejects.toMatchObject({ code: "QUERY_TOO_LARGE" });
  });
});
