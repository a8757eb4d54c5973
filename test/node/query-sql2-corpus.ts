// The second edition's differential corpus (joins, set operations, subqueries, windows, QUALIFY) and
// random join and window queries; every query is deterministic (window ties broken by event_id).
import fc from "fast-check";

export const SQL2_CORPUS: string[] = [
  // inner joins: self-joins of events, per-type tables, ON and USING, NULL and duplicate keys
  "SELECT count(*) AS n FROM signup s JOIN click c ON s.user_id = c.user_id",
  "SELECT count(*) AS n FROM signup s JOIN click c USING (user_id)",
  "SELECT count(*) AS n FROM events a JOIN events b ON a.user_id = b.user_id WHERE a.event_type = 'signup' AND b.event_type = 'click'",
  "SELECT s.event_id, c.event_id AS click_id FROM signup s JOIN click c ON s.session_id = c.session_id ORDER BY 1, 2",
  "SELECT s.user_id, count(*) AS n FROM signup s INNER JOIN error e ON s.user_id = e.user_id GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15",
  "SELECT count(*) AS n FROM signup s JOIN error e ON s.user_id = e.user_id AND s.country = e.country",
  "SELECT count(*) AS n FROM signup s JOIN error e ON s.user_id = e.user_id AND s.ts < e.ts",
  "SELECT count(*) AS n FROM signup s JOIN error e ON s.ts < e.ts AND s.country = 'NL' AND e.country = 'DE'",
  "SELECT count(*) AS n FROM signup s JOIN error e ON s.user_id = e.user_id WHERE s.ts >= TIMESTAMP '2025-03-02' AND e.ts < TIMESTAMP '2025-03-03'",
  "SELECT count(*) AS n FROM signup s JOIN error e ON lower(s.user_id) = lower(e.user_id) AND s.region = e.region",
  "SELECT * FROM signup s JOIN error e USING (user_id, country) ORDER BY s.event_id, e.event_id LIMIT 10",
  "SELECT s.*, e.event_id AS error_id FROM signup s JOIN error e ON s.user_id = e.user_id ORDER BY s.event_id, e.event_id LIMIT 5",
  "SELECT user_id, s.ts AS signed_up, e.ts AS failed FROM signup s JOIN error e USING (user_id) ORDER BY 1, 2, 3 LIMIT 30",
  'SELECT count(*) AS n FROM "order.created" o JOIN "page.view" p ON o.session_id = p.session_id',
  "SELECT count(*) AS n, count(DISTINCT c.user_id) AS users FROM signup s JOIN click c ON s.user_id = c.user_id JOIN error e ON e.user_id = c.user_id",
  "SELECT count(*) AS n FROM signup a JOIN click b ON a.user_id = b.user_id JOIN error c ON c.user_id = b.user_id AND c.ts > a.ts",
  "SELECT count(*) AS n FROM signup s JOIN signup t ON s.user_id = t.user_id AND s.event_id < t.event_id",
  "SELECT count(*) AS n FROM signup s JOIN click c ON s.user_id = c.user_id WHERE s.country = 'ZZ'",
  "SELECT count(*) AS n FROM signup s JOIN click c ON s.user_id = c.user_id AND c.country = 'ZZ'",
  // outer joins
  "SELECT count(*) AS n, count(c.event_id) AS matched FROM signup s LEFT JOIN click c ON s.user_id = c.user_id",
  "SELECT count(*) AS n FROM signup s LEFT JOIN error e ON s.user_id = e.user_id WHERE e.user_id IS NULL",
  "SELECT s.event_id, e.event_id AS error_id FROM signup s LEFT JOIN error e ON s.user_id = e.user_id AND e.country = 'NL' ORDER BY 1, 2 NULLS FIRST LIMIT 60",
  "SELECT s.event_id, e.event_id AS error_id FROM signup s LEFT OUTER JOIN error e ON s.user_id = e.user_id AND s.country = 'NL' ORDER BY 1, 2 NULLS FIRST LIMIT 60",
  "SELECT count(*) AS n, count(s.event_id) AS left_side, count(e.event_id) AS right_side FROM signup s RIGHT JOIN error e ON s.user_id = e.user_id",
  "SELECT e.event_id, s.event_id AS signup_id FROM signup s RIGHT JOIN error e ON s.user_id = e.user_id AND s.ts < e.ts ORDER BY 1, 2 NULLS FIRST LIMIT 60",
  "SELECT count(*) AS n, count(s.event_id) AS l, count(e.event_id) AS r FROM signup s FULL JOIN error e ON s.user_id = e.user_id",
  "SELECT count(*) AS n, count(user_id) AS keyed FROM signup s FULL OUTER JOIN error e USING (user_id)",
  "SELECT user_id, count(s.event_id) AS signups, count(e.event_id) AS errors FROM signup s FULL JOIN error e USING (user_id) GROUP BY 1 ORDER BY 1 NULLS FIRST LIMIT 40",
  "SELECT count(*) AS n FROM signup s FULL JOIN error e ON s.user_id = e.user_id AND s.country = 'ZZ'",
  "SELECT count(*) AS n FROM signup s LEFT JOIN (SELECT user_id FROM click WHERE country = 'ZZ') c ON s.user_id = c.user_id",
  "SELECT s.user_id, c.n FROM signup s LEFT JOIN (SELECT user_id, count(*) AS n FROM click GROUP BY 1) c ON s.user_id = c.user_id ORDER BY s.event_id LIMIT 50",
  "SELECT count(*) AS n FROM signup s LEFT JOIN click c ON s.user_id = c.user_id LEFT JOIN error e ON c.user_id = e.user_id",
  // cross joins and comma joins
  "SELECT count(*) AS n FROM signup CROSS JOIN error",
  "SELECT count(*) AS n FROM signup s, error e WHERE s.user_id = e.user_id",
  "SELECT s.country, t.total FROM (SELECT country, count(*) AS n FROM signup GROUP BY 1) s CROSS JOIN (SELECT count(*) AS total FROM signup) t ORDER BY 1 NULLS FIRST",
  // CTEs over several tables
  "WITH u AS (SELECT user_id, min(ts) AS first_ts FROM events GROUP BY 1), c AS (SELECT user_id, count(*) AS n FROM click GROUP BY 1) SELECT count(*) AS users, sum(c.n) AS clicks FROM u JOIN c USING (user_id) WHERE u.first_ts < TIMESTAMP '2025-03-02'",
  'WITH s AS (SELECT user_id, ts FROM signup), o AS (SELECT user_id, ts FROM "order.created") SELECT count(DISTINCT s.user_id) AS converted FROM s JOIN o ON s.user_id = o.user_id AND o.ts > s.ts',
  "WITH a AS (SELECT DISTINCT user_id FROM signup), b AS (SELECT DISTINCT user_id FROM error) SELECT (SELECT count(*) FROM a) AS a_n, (SELECT count(*) FROM b) AS b_n, (SELECT count(*) FROM a JOIN b USING (user_id)) AS both_n",
  // funnel and retention shapes
  'SELECT count(DISTINCT s.user_id) AS step1, count(DISTINCT c.user_id) AS step2, count(DISTINCT o.user_id) AS step3 FROM signup s LEFT JOIN click c ON c.user_id = s.user_id AND c.ts > s.ts LEFT JOIN "order.created" o ON o.user_id = c.user_id AND o.ts > c.ts',
  "WITH first AS (SELECT user_id, date_trunc('day', min(ts)) AS cohort FROM events WHERE user_id IS NOT NULL GROUP BY 1) SELECT f.cohort, date_diff('day', f.cohort, date_trunc('day', e.ts)) AS day_n, count(DISTINCT e.user_id) AS users FROM first f JOIN events e USING (user_id) GROUP BY 1, 2 ORDER BY 1, 2",
  // set operations
  "SELECT user_id FROM signup UNION SELECT user_id FROM error ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup UNION ALL SELECT user_id FROM error ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup INTERSECT SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup INTERSECT ALL SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup EXCEPT SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup EXCEPT ALL SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT country, region FROM signup UNION SELECT country, region FROM error ORDER BY 1 NULLS FIRST, 2 NULLS FIRST",
  "SELECT user_id FROM signup UNION SELECT user_id FROM error INTERSECT SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT user_id FROM signup EXCEPT SELECT user_id FROM error EXCEPT SELECT user_id FROM click ORDER BY 1 NULLS FIRST",
  "SELECT count(*) AS n FROM (SELECT user_id FROM signup UNION ALL SELECT user_id FROM click) t",
  "SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 2 ORDER BY x DESC",
  "SELECT 1 AS x, 'a' AS y UNION SELECT 1.5, 'b' ORDER BY 1",
  "SELECT user_id FROM signup WHERE country = 'ZZ' INTERSECT SELECT user_id FROM click",
  "SELECT user_id FROM signup EXCEPT SELECT user_id FROM click WHERE country = 'ZZ' ORDER BY 1 NULLS FIRST LIMIT 10",
  // subqueries in expressions
  "SELECT count(*) AS n FROM events WHERE user_id IN (SELECT user_id FROM signup)",
  "SELECT count(*) AS n FROM events WHERE user_id NOT IN (SELECT user_id FROM signup)",
  "SELECT count(*) AS n FROM click WHERE user_id NOT IN (SELECT user_id FROM signup WHERE user_id IS NOT NULL)",
  "SELECT count(*) AS n FROM click WHERE user_id IN (SELECT user_id FROM signup WHERE country = 'ZZ')",
  "SELECT event_type, count(*) AS n, count(*) / (SELECT count(*) FROM events) AS share FROM events GROUP BY 1 ORDER BY 1",
  "SELECT event_id FROM signup WHERE ts = (SELECT max(ts) FROM signup)",
  "SELECT (SELECT max(ts) FROM click WHERE country = 'ZZ') AS nothing",
  "SELECT count(*) AS n FROM events WHERE EXISTS (SELECT 1 FROM signup WHERE country = 'ZZ')",
  "SELECT count(*) AS n FROM events WHERE NOT EXISTS (SELECT 1 FROM signup WHERE country = 'ZZ')",
  "SELECT count(*) AS n FROM signup s WHERE EXISTS (SELECT 1 FROM click c WHERE c.user_id = s.user_id)",
  "SELECT count(*) AS n FROM signup s WHERE NOT EXISTS (SELECT 1 FROM click c WHERE c.user_id = s.user_id)",
  "SELECT count(*) AS n FROM signup s WHERE EXISTS (SELECT 1 FROM click c WHERE c.user_id = s.user_id AND c.country = 'NL')",
  "SELECT count(*) AS n FROM signup s WHERE EXISTS (SELECT 1 FROM click c WHERE c.user_id = s.user_id AND c.country = s.country)",
  "SELECT event_id, (SELECT max(c.ts) FROM click c WHERE c.user_id = s.user_id) AS last_click, (SELECT count(*) FROM error e WHERE e.user_id = s.user_id) AS errors FROM signup s ORDER BY event_id LIMIT 40",
  "SELECT event_id, (SELECT coalesce(sum(length(e.event_id)), -1) FROM error e WHERE e.user_id = s.user_id) AS x FROM signup s ORDER BY event_id LIMIT 40",
  "SELECT count(*) AS n FROM signup s WHERE s.session_id IN (SELECT c.session_id FROM click c WHERE c.user_id = s.user_id)",
  "SELECT count(*) AS n FROM signup s WHERE s.session_id NOT IN (SELECT c.session_id FROM click c WHERE c.user_id = s.user_id)",
  "SELECT country, count(*) AS n FROM signup GROUP BY 1 HAVING count(*) > (SELECT count(*) / 10 FROM signup) ORDER BY 1",
  // window functions: ranking
  "SELECT event_id, user_id, row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id) AS rn FROM signup ORDER BY event_id",
  "SELECT event_id, rank() OVER w AS r, dense_rank() OVER w AS d, percent_rank() OVER w AS p, cume_dist() OVER w AS c FROM signup WINDOW w AS (PARTITION BY user_id ORDER BY date_trunc('day', ts)) ORDER BY event_id",
  "SELECT event_id, ntile(4) OVER (ORDER BY ts, event_id) AS q, ntile(3) OVER (PARTITION BY country ORDER BY ts, event_id) AS t FROM signup ORDER BY event_id",
  "SELECT event_id, row_number() OVER () > 0 AS any_row, count(*) OVER () AS total FROM signup ORDER BY event_id LIMIT 20",
  "SELECT event_id, rank() OVER (ORDER BY country NULLS FIRST) AS r, rank() OVER (ORDER BY country DESC) AS rd FROM signup ORDER BY event_id",
  // window functions: values
  "SELECT event_id, lag(ts) OVER (PARTITION BY session_id ORDER BY ts, event_id) AS prev, lead(ts, 2, ts) OVER (PARTITION BY session_id ORDER BY ts, event_id) AS nxt FROM click ORDER BY event_id",
  "SELECT event_id, ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) AS gap FROM click ORDER BY event_id",
  "SELECT event_id, lag(country, 1, 'none') OVER (ORDER BY ts, event_id) AS prev_country, lead(country, 0) OVER (ORDER BY ts, event_id) AS same FROM signup ORDER BY event_id",
  "SELECT event_id, first_value(event_id) OVER w AS f, last_value(event_id) OVER w AS l, nth_value(event_id, 2) OVER w AS n2 FROM signup WINDOW w AS (PARTITION BY country ORDER BY ts, event_id) ORDER BY event_id",
  "SELECT event_id, first_value(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS f, last_value(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS l FROM click ORDER BY event_id",
  // window functions: aggregates and frames
  "SELECT event_id, sum(length(event_id)) OVER (PARTITION BY country ORDER BY ts, event_id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS s FROM signup ORDER BY event_id",
  "SELECT event_id, count(*) OVER (PARTITION BY country) AS n, avg(length(event_id)) OVER (ORDER BY ts, event_id) AS a FROM signup ORDER BY event_id",
  "SELECT event_id, min(ts) OVER (PARTITION BY country ORDER BY ts, event_id ROWS 3 PRECEDING) AS mn, max(ts) OVER (PARTITION BY user_id) AS mx FROM signup ORDER BY event_id",
  "SELECT event_id, sum(1) OVER (ORDER BY date_trunc('hour', ts)) AS running_peers, count(user_id) OVER (ORDER BY date_trunc('hour', ts), event_id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS rest FROM signup ORDER BY event_id",
  "SELECT event_id, count(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS c, sum(1) OVER (ORDER BY ts DESC RANGE BETWEEN CURRENT ROW AND INTERVAL '2 hours' FOLLOWING) AS s FROM signup ORDER BY event_id",
  "SELECT event_id, max(length(event_id)) OVER (ORDER BY length(event_id) RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS m, min(event_id) OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS later FROM signup ORDER BY event_id",
  "SELECT event_id, sum(length(event_id)) OVER (PARTITION BY user_id ORDER BY ts, event_id ROWS BETWEEN 5 PRECEDING AND 3 PRECEDING) AS s FROM click ORDER BY event_id",
  "SELECT country, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS r, sum(count(*)) OVER () AS total FROM events GROUP BY country ORDER BY country NULLS FIRST",
  "SELECT date_trunc('day', ts) AS day, count(*) AS n, sum(count(*)) OVER (ORDER BY date_trunc('day', ts)) AS running FROM events GROUP BY 1 ORDER BY 1",
  // QUALIFY
  "SELECT user_id, event_id FROM signup QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id) = 1 ORDER BY user_id NULLS FIRST",
  "SELECT user_id, event_id, row_number() OVER (PARTITION BY user_id ORDER BY ts DESC, event_id) AS rn FROM click QUALIFY rn <= 2 ORDER BY user_id NULLS FIRST, rn",
  "SELECT country, count(*) AS n FROM events GROUP BY 1 QUALIFY rank() OVER (ORDER BY count(*) DESC) <= 3 ORDER BY n DESC",
  "SELECT user_id, event_id, ts FROM click QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id) <= 2 AND user_id IS NOT NULL ORDER BY user_id, ts, event_id",
  // sessionization
  "WITH g AS (SELECT user_id, ts, CASE WHEN ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) > INTERVAL 30 MINUTE OR lag(ts) OVER (PARTITION BY user_id ORDER BY ts, event_id) IS NULL THEN 1 ELSE 0 END AS starts FROM click WHERE user_id IS NOT NULL) SELECT count(*) AS events, sum(starts) AS sessions FROM g",
  // functions of the second edition
  "SELECT event_id, regexp_matches(event_id, '[0-9]{3}') AS m, regexp_matches(country, '^n', 'i') AS mi, regexp_extract(event_id, '-([a-z0-9]+)-', 1) AS g, regexp_extract(event_id, 'zzz') AS none, regexp_replace(event_id, '[aeiou]', '_') AS r1, regexp_replace(event_id, '([a-z])-', '\\1+', 'g') AS r2 FROM signup ORDER BY event_id LIMIT 50",
  "SELECT event_id, replace(event_id, '-', '/') AS a, split_part(event_id, '-', 2) AS b, split_part(event_id, '-', -1) AS c, split_part(event_id, '-', 9) AS d, starts_with(event_id, 'ev-s') AS e, contains(event_id, 'up-1') AS f, left(event_id, 4) AS l, right(event_id, 3) AS r, left(event_id, -3) AS ln, right(event_id, -3) AS rn FROM signup ORDER BY event_id LIMIT 50",
  "SELECT trim('  ab  ') AS a, ltrim('  ab  ') AS b, rtrim('  ab  ') AS c, trim('xxabxx', 'x') AS d, trim(country) AS e, contains(NULL, 'a') AS n FROM signup ORDER BY event_id LIMIT 5",
  "SELECT event_id, strftime(ts, '%Y-%m-%d %H:%M:%S') AS a, strftime(ts, '%a %A %b %B %j %y %p %I %w %u %%') AS b FROM signup ORDER BY event_id LIMIT 30",
  "SELECT event_id, date_diff('day', ts, received_at + INTERVAL 3 DAY) AS d, date_diff('hour', TIMESTAMP '2025-03-01 10:30', ts) AS h, date_diff('month', TIMESTAMP '2024-11-15', ts) AS m, date_diff('week', TIMESTAMP '2025-01-01', ts) AS w, date_diff('week', ts, TIMESTAMP '2025-01-01') AS wn, date_diff('year', TIMESTAMP '2020-06-01', ts) AS y, date_diff('minute', ts, received_at) AS mi, date_diff('second', ts, received_at) AS s, date_diff('quarter', TIMESTAMP '2024-11-15', ts) AS q FROM signup ORDER BY event_id LIMIT 40",
  "SELECT event_id, date_add(ts, INTERVAL 1 MONTH) AS a, date_add(ts, INTERVAL 36 HOUR) AS b, time_bucket(INTERVAL 15 MINUTE, ts) AS c, time_bucket(INTERVAL 7 DAY, ts) AS d, time_bucket(INTERVAL 1 MONTH, ts) AS e, time_bucket(INTERVAL 3 HOUR, ts, TIMESTAMP '2025-03-01 01:00') AS f, time_bucket(INTERVAL '1 week', ts) AS g FROM signup ORDER BY event_id LIMIT 40",
  "SELECT country, stddev_samp(length(event_id)) AS a, stddev_pop(length(event_id)) AS b, var_samp(length(event_id)) AS c, var_pop(length(event_id)) AS d, corr(length(event_id), epoch(ts)) AS e, stddev(epoch(ts)) AS f FROM events GROUP BY 1 ORDER BY 1 NULLS FIRST",
  "SELECT event_type, length(string_agg(user_id, ', ')) AS a, length(string_agg(country)) AS b, mode(region) AS m FROM events GROUP BY 1 ORDER BY 1",
  "SELECT var_samp(x) AS a, corr(x, x) AS c, var_pop(x) AS p, stddev_samp(x) AS s FROM (SELECT 1 AS x)",
  // corr's second argument is the only reader of its column: the scan must read it.
  "SELECT corr(length(event_id), length(user_id)) AS r FROM events",
  "SELECT var_samp(x) AS a, string_agg(y, '-') AS s, mode(x) AS m FROM (SELECT 1 AS x, 'a' AS y) WHERE x > 1",
  // mixed: subqueries feeding pruning, windows in ORDER BY and derived tables, set operations inside IN and CTEs
  "SELECT count(*) AS n FROM events WHERE ts > (SELECT max(ts) FROM signup) - INTERVAL 1 HOUR",
  "SELECT event_id FROM signup ORDER BY row_number() OVER (ORDER BY ts DESC, event_id) LIMIT 5",
  "SELECT t.user_id, t.rn, c.n FROM (SELECT user_id, row_number() OVER (ORDER BY user_id) AS rn FROM (SELECT DISTINCT user_id FROM signup WHERE user_id IS NOT NULL) u) t JOIN (SELECT user_id, count(*) AS n FROM click GROUP BY 1) c USING (user_id) ORDER BY t.rn LIMIT 20",
  "SELECT DISTINCT country, count(*) OVER (PARTITION BY country) AS n FROM signup ORDER BY 1 NULLS FIRST",
  "SELECT a.user_id FROM signup a WHERE a.user_id IN (SELECT user_id FROM click INTERSECT SELECT user_id FROM error) ORDER BY 1",
  "WITH x AS (SELECT user_id FROM signup UNION ALL SELECT user_id FROM error) SELECT user_id, count(*) AS n FROM x GROUP BY 1 ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 5",
];

const TABLES = ["signup", "click", "error", '"order.created"'];
const KEYS = ["user_id", "session_id", "country", "region"];
const JOINS = ["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"];

/** Random two-table joins: a key, a join type, an optional extra ON condition and WHERE filter. */
export const joinArb = fc
  .record({
    left: fc.constantFrom(...TABLES),
    right: fc.constantFrom(...TABLES),
    key: fc.constantFrom(...KEYS),
    join: fc.constantFrom(...JOINS),
    extra: fc.constantFrom("", " AND a.ts < b.ts", " AND b.country = 'NL'", " AND a.region = b.region"),
    where: fc.constantFrom(
      "",
      " WHERE a.country IN ('NL', 'DE')",
      " WHERE b.ts >= TIMESTAMP '2025-03-02'",
      " WHERE a.user_id IS NULL",
    ),
    shape: fc.constantFrom("count", "group"),
  })
  .map(({ left, right, key, join, extra, where, shape }) => {
    const from = `${left} a ${join} ${right} b ON a.${key} = b.${key}${extra}${where}`;
    return shape === "count"
      ? `SELECT count(*) AS n, count(a.event_id) AS l, count(b.event_id) AS r FROM ${from}`
      : `SELECT a.${key} AS k, count(*) AS n, count(b.event_id) AS r FROM ${from} GROUP BY 1 ORDER BY 1 NULLS FIRST LIMIT 25`;
  });

const WINDOW_FNS = [
  "row_number()",
  "rank()",
  "dense_rank()",
  "ntile(3)",
  "lag(length(event_id))",
  "lead(length(event_id), 2, -1)",
  "first_value(length(event_id))",
  "last_value(length(event_id))",
  "sum(length(event_id))",
  "count(*)",
  "min(length(event_id))",
  "max(length(event_id))",
  "avg(length(event_id))",
];
const FRAMES = [
  "",
  " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
  " ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
  " ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING",
  " ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
  " RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
  " RANGE BETWEEN INTERVAL 6 HOUR PRECEDING AND CURRENT ROW",
];

/** Random windows: a function, a partition, a deterministic order (ties broken by event_id) and a frame. */
export const windowArb = fc
  .record({
    table: fc.constantFrom(...TABLES),
    fn: fc.constantFrom(...WINDOW_FNS),
    part: fc.constantFrom("", "PARTITION BY country ", "PARTITION BY user_id ", "PARTITION BY region, source "),
    frame: fc.constantFrom(...FRAMES),
    desc: fc.boolean(),
  })
  .map(({ table, fn, part, frame, desc }) => {
    const ranking = /^(row_number|rank|dense_rank|ntile|lag|lead)/.test(fn);
    const rangeOffset = frame.includes("INTERVAL");
    const order = rangeOffset ? `ts${desc ? " DESC" : ""}` : `ts${desc ? " DESC" : ""}, event_id`;
    const f = ranking || (rangeOffset && /^(first|last)/.test(fn)) ? "" : frame;
    return `SELECT event_id, ${fn} OVER (${part}ORDER BY ${order}${f}) AS w FROM ${table} ORDER BY event_id`;
  });
