// The differential corpus and random query generators, shared by the single-invocation and split tests.
import fc from "fast-check";

/** Each query runs in DuckDB and in Tarn over the same files; columns and rows must match. */
export const CORPUS: string[] = [
  // projection, aliases, literals, LIMIT/OFFSET
  "SELECT count(*) FROM events",
  "SELECT count(*) AS n, count(user_id) AS with_user, count(colo) AS with_colo FROM events",
  "SELECT event_id, event_type, ts, user_id FROM events ORDER BY ts, event_id LIMIT 20",
  "SELECT event_id, ts FROM events ORDER BY ts DESC, event_id LIMIT 10 OFFSET 5",
  "SELECT * FROM events ORDER BY event_id LIMIT 3",
  "SELECT e.event_id, e.country FROM events e WHERE e.country = 'NL' ORDER BY e.event_id LIMIT 7",
  "SELECT events.event_id FROM events WHERE events.user_id = 'u3' ORDER BY 1",
  'SELECT count(*) AS n FROM "order.created"',
  'SELECT event_type, count(*) AS n FROM "page.view" GROUP BY event_type',
  "SELECT 1 + 2 AS three, 7 / 2 AS half, 7 // 2 AS floor_div, -7 // 2 AS neg_div, 7 % 3 AS m, 2.5 * 2 AS d",
  "SELECT 'a' || 'b' AS s, lower('ÀB') AS l, upper('abc') AS u, length('héllo') AS n",
  "SELECT substr('hello', 2, 3) AS a, substr('hello', 0, 2) AS b, substr('hello', -3, 2) AS c, substr('hello', 3) AS d, substr('hello', 3, -2) AS e",
  "SELECT round(2.5) AS a, round(-2.5) AS b, round(1.2345, 2) AS c, round(2.5::DOUBLE) AS d, abs(-3) AS e, abs(-2.5::DOUBLE) AS f",
  "SELECT 1 / 0 AS inf, 1 // 0 AS null_div, 5 % 0 AS null_mod, 0.0 / 0 AS z",
  // WHERE: comparisons, IN, BETWEEN, LIKE, IS NULL, three-valued logic
  "SELECT count(*) AS n FROM events WHERE country IN ('NL', 'DE')",
  "SELECT count(*) AS n FROM events WHERE country NOT IN ('NL', 'DE')",
  "SELECT count(*) AS n FROM events WHERE country NOT IN ('NL', NULL)",
  "SELECT count(*) AS n FROM events WHERE country IN ('NL', NULL)",
  "SELECT count(*) AS n FROM events WHERE user_id LIKE 'u1%'",
  "SELECT count(*) AS n FROM events WHERE user_id NOT LIKE '%1_'",
  "SELECT count(*) AS n FROM events WHERE country ILIKE 'nl'",
  "SELECT count(*) AS n FROM events WHERE country NOT ILIKE '%l'",
  "SELECT count(*) AS n FROM events WHERE colo IS NULL",
  "SELECT count(*) AS n FROM events WHERE colo IS NOT NULL AND region IS NULL",
  "SELECT count(*) AS n FROM events WHERE NOT (country = 'NL' OR region = 'eu-west')",
  "SELECT count(*) AS n FROM events WHERE country = 'NL' OR region = 'eu-west'",
  "SELECT count(*) AS n FROM events WHERE (country = 'NL') IS NULL",
  "SELECT count(*) AS n FROM events WHERE user_id BETWEEN 'u1' AND 'u2'",
  "SELECT count(*) AS n FROM events WHERE user_id NOT BETWEEN 'u1' AND 'u2'",
  "SELECT country, region, country = 'NL' AND region = 'eu-west' AS a, country = 'NL' OR region = 'eu-west' AS o FROM events ORDER BY event_id LIMIT 40",
  // time filters
  "SELECT count(*) AS n FROM events WHERE ts >= TIMESTAMP '2025-03-02' AND ts < TIMESTAMP '2025-03-03'",
  "SELECT count(*) AS n FROM events WHERE ts > '2025-03-02 12:00:00'",
  "SELECT count(*) AS n FROM events WHERE ts BETWEEN TIMESTAMP '2025-03-01 06:00' AND TIMESTAMP '2025-03-01 07:00'",
  "SELECT count(*) AS n FROM events WHERE ts < TIMESTAMP '2025-03-01'",
  "SELECT count(*) AS n FROM events WHERE ts >= TIMESTAMP '2025-03-03' + INTERVAL 12 HOUR",
  "SELECT count(*) AS n FROM events WHERE ts > now() - INTERVAL '100000 days'",
  "SELECT count(*) AS n FROM events WHERE received_at - ts > INTERVAL '4 seconds'",
  "SELECT count(*) AS n FROM events WHERE event_type = 'click' AND ts >= TIMESTAMP '2025-03-02'",
  "SELECT count(*) AS n FROM events WHERE event_type IN ('signup', 'error') AND ts < TIMESTAMP '2025-03-02'",
  "SELECT count(*) AS n FROM events WHERE event_type = 'nope'",
  // GROUP BY: by name, alias, position, expression; HAVING; ORDER BY with NULLS
  "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY n DESC, event_type",
  "SELECT country AS c, count(*) AS n FROM events GROUP BY c ORDER BY c NULLS FIRST",
  "SELECT country, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 DESC",
  "SELECT country, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 DESC NULLS FIRST",
  "SELECT country, count(*) AS n FROM events GROUP BY 1 ORDER BY country ASC NULLS LAST",
  "SELECT lower(country) AS lc, region, count(*) AS n FROM events GROUP BY lower(country), region ORDER BY lc, region",
  "SELECT country, region, source, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC, country, region, source LIMIT 15".replace(
    "GROUP BY ALL",
    "GROUP BY 1, 2, 3",
  ),
  "SELECT event_type, count(*) AS n FROM events GROUP BY event_type HAVING count(*) > 500 ORDER BY event_type",
  "SELECT event_type, avg(epoch_ms(received_at) - epoch_ms(ts)) AS lag FROM events GROUP BY 1 HAVING avg(epoch_ms(received_at) - epoch_ms(ts)) > 2490 ORDER BY 1",
  "SELECT environment, count(*) AS n FROM events GROUP BY environment ORDER BY count(*) DESC, environment",
  "SELECT count(*) AS n FROM events GROUP BY country HAVING country LIKE 'N%'",
  "SELECT source, min(ts) AS first, max(ts) AS last, min(user_id) AS lo, max(user_id) AS hi FROM events GROUP BY source ORDER BY source",
  // aggregates
  "SELECT sum(epoch_ms(received_at) - epoch_ms(ts)) AS s, avg(epoch_ms(received_at) - epoch_ms(ts)) AS a, min(ts) AS lo, max(ts) AS hi FROM events",
  "SELECT count(DISTINCT user_id) AS users, count(DISTINCT country) AS countries, count(DISTINCT session_id) AS sessions FROM events",
  "SELECT event_type, count(DISTINCT user_id) AS users FROM events GROUP BY 1 ORDER BY 1",
  "SELECT median(epoch_ms(received_at) - epoch_ms(ts)) AS m, quantile_cont(epoch_ms(received_at) - epoch_ms(ts), 0.9) AS p90 FROM events",
  "SELECT event_type, median(ts) AS mid, quantile_cont(ts, 0.25) AS q1 FROM events GROUP BY 1 ORDER BY 1",
  "SELECT region, median(length(user_id)) AS m FROM events GROUP BY 1 ORDER BY 1",
  "SELECT sum(length(country)) AS s, avg(length(country)) AS a, count(length(country)) AS c FROM events",
  "SELECT count(*) AS n, sum(length(user_id)) AS s, min(user_id) AS lo, avg(length(colo)) AS a FROM events WHERE event_type = 'nope'",
  "SELECT country, count(*) AS n FROM events WHERE event_type = 'nope' GROUP BY 1",
  "SELECT sum(CAST(payload->>'amount' AS DOUBLE)) AS revenue, avg(CAST(payload->>'qty' AS INTEGER)) AS qty FROM \"order.created\"",
  // DISTINCT
  "SELECT DISTINCT country FROM events ORDER BY country",
  "SELECT DISTINCT country, region FROM events ORDER BY 1, 2",
  "SELECT DISTINCT count(*) AS n FROM events GROUP BY source",
  "SELECT DISTINCT event_type FROM events WHERE ts < TIMESTAMP '2025-03-01 01:00' ORDER BY event_type",
  // time functions
  "SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT date_trunc('day', ts) AS d, event_type, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  "SELECT date_trunc('minute', ts) AS m, count(*) AS n FROM events WHERE ts < TIMESTAMP '2025-03-01 00:30' GROUP BY 1 ORDER BY 1",
  "SELECT date_trunc('week', ts) AS w, date_trunc('month', ts) AS mo, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1",
  "SELECT epoch_ms(ts) AS ms, epoch_ms(epoch_ms(ts)) AS back FROM events ORDER BY ms LIMIT 5",
  "SELECT ts + INTERVAL 1 HOUR AS later, ts - INTERVAL '2 days' AS earlier, received_at - ts AS lag FROM events ORDER BY ts LIMIT 5",
  "SELECT date_part('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT extract(dow FROM ts) AS d, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT CAST(ts AS DATE) AS day, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT TIMESTAMP '2025-03-01 10:11:12.5' AS t, DATE '2025-03-01' AS d, INTERVAL 90 MINUTE AS i, CAST(TIMESTAMP '2025-01-31' + INTERVAL 1 MONTH AS VARCHAR) AS s",
  // CASE, CAST, COALESCE
  "SELECT CASE WHEN country IN ('NL', 'DE', 'FR') THEN 'eu' WHEN country IS NULL THEN 'unknown' ELSE 'other' END AS area, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT CASE source WHEN 'web' THEN 1 WHEN 'ios' THEN 2 END AS code, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 NULLS FIRST",
  "SELECT coalesce(colo, region, 'none') AS place, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT coalesce(CAST(payload->>'x' AS INTEGER), -1) AS x FROM click ORDER BY event_id LIMIT 20",
  "SELECT CAST(epoch_ms(ts) AS VARCHAR) AS s, CAST('42' AS INTEGER) + 1 AS i, CAST(2.5 AS INTEGER) AS r, CAST(ts AS VARCHAR) AS t FROM events ORDER BY ts LIMIT 3",
  "SELECT CASE WHEN payload->>'x' IS NULL THEN 0 ELSE CAST(payload->>'x' AS INTEGER) END AS x FROM click ORDER BY event_id LIMIT 30",
  // JSON
  "SELECT payload->>'currency' AS currency, count(*) AS n FROM \"order.created\" GROUP BY 1 ORDER BY 1",
  "SELECT json_extract_string(payload, '$.nested.depth.label') AS label, count(*) AS n FROM \"page.view\" GROUP BY 1 ORDER BY 1",
  "SELECT payload->'items' AS items, json_extract(payload, '$.items[0].sku') AS first_sku, payload->'coupon' AS coupon FROM \"order.created\" ORDER BY event_id LIMIT 10",
  "SELECT json_extract_string(payload, '$.note') AS note, payload->'note' AS raw FROM signup WHERE payload->>'note' IS NOT NULL ORDER BY event_id LIMIT 20",
  "SELECT payload->>'tags' AS tags, json_extract_string(payload, '$.tags[1]') AS t1, json_extract_string(payload, '$.tags[-1]') AS last FROM \"page.view\" ORDER BY event_id LIMIT 20",
  "SELECT metadata->>'sdk' AS sdk, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT sum(CAST(json_extract_string(payload, '$.duration_ms') AS BIGINT)) AS total FROM \"page.view\" WHERE payload->>'referrer' = ''",
  "SELECT count(*) AS n FROM events WHERE CAST(payload->>'amount' AS DOUBLE) > 250",
  "SELECT payload->>'paid' AS paid, payload->'paid' AS j, count(*) AS n FROM \"order.created\" GROUP BY 1, 2 ORDER BY 1",
  "SELECT payload->>'big' AS big, payload->>'retry' AS retry, payload->>'missing' AS missing FROM error ORDER BY event_id LIMIT 5",
  'SELECT json_extract_string(\'{"a":1.50,"b":[1,2],"c":{"d":null}}\', \'$.a\') AS a, json_extract(\'{"a": [1, 2.0]}\', \'$.a\') AS b, \'{"x":"y"}\'->>\'x\' AS c',
  // subqueries and WITH
  "SELECT count(*) AS n FROM (SELECT DISTINCT user_id FROM events) AS s",
  "SELECT avg(n) AS avg_per_user FROM (SELECT user_id, count(*) AS n FROM events WHERE user_id IS NOT NULL GROUP BY 1) t",
  "WITH daily AS (SELECT date_trunc('day', ts) AS d, count(*) AS n FROM events GROUP BY 1) SELECT max(n) AS busiest, min(n) AS quietest FROM daily",
  "WITH orders AS (SELECT CAST(payload->>'amount' AS DOUBLE) AS amount, country FROM \"order.created\") SELECT country, round(sum(amount), 2) AS revenue FROM orders GROUP BY 1 ORDER BY 1",
  "SELECT t.c, t.n FROM (SELECT country AS c, count(*) AS n FROM events GROUP BY 1) t WHERE t.n > 100 ORDER BY t.c",
  // approx_count_distinct (value checked separately), empty results
  "SELECT event_id FROM events WHERE 1 = 0",
  "SELECT event_type, count(*) AS n FROM events WHERE ts > TIMESTAMP '2030-01-01' GROUP BY 1",
  "SELECT count(*) AS n, count(DISTINCT user_id) AS u, approx_count_distinct(user_id) AS au FROM events WHERE ts > TIMESTAMP '2030-01-01'",
  // precedence, grouping after filtering a dictionary column, top-k
  "SELECT count(*) AS n FROM events WHERE country = 'NL' OR country = 'DE' AND source = 'web'",
  "SELECT count(*) AS n FROM events WHERE source = 'web' AND country = 'NL' OR region = 'us-east' AND NOT colo = 'AMS'",
  "SELECT country, count(*) AS n FROM events WHERE country = 'NL' GROUP BY 1",
  "SELECT * FROM events ORDER BY ts DESC, event_id LIMIT 5",
  "SELECT event_id, received_at FROM events ORDER BY received_at, event_id LIMIT 3 OFFSET 2",
  "SELECT event_id, colo FROM events ORDER BY colo NULLS FIRST, event_id LIMIT 4",
  "SELECT event_id, colo FROM EVENTS ORDER BY colo DESC, event_id DESC LIMIT 4",
  // NULL literals and arithmetic over aggregates, ORDER BY / GROUP BY expressions not in the select list
  "SELECT NULL AS x, NULL + 1 AS y, NULL = NULL AS z, coalesce(NULL, 2) AS w, NULL IS NULL AS v, CASE WHEN NULL THEN 1 ELSE 2 END AS u",
  "SELECT event_type, count(*) * 2 AS twice, sum(length(user_id)) / count(*) AS ratio, count(user_id) - count(session_id) AS diff FROM events GROUP BY 1 ORDER BY 1",
  "SELECT event_id FROM events ORDER BY length(user_id) DESC NULLS LAST, event_id LIMIT 5",
  "SELECT count(*) AS n FROM events GROUP BY date_trunc('day', ts) ORDER BY 1",
  "SELECT CAST('2025-03-01 10:00' AS TIMESTAMP) AS t, CAST('true' AS BOOLEAN) AS b, CAST(1.75 AS DOUBLE) AS d, CAST(7 AS VARCHAR) AS s",
  "SELECT count(*) AS n FROM events WHERE user_id ILIKE 'U_7'",
  "SELECT payload->'tags'->>0 AS first_tag, payload->'nested'->'depth'->>'x' AS x, count(*) AS n FROM \"page.view\" GROUP BY 1, 2 ORDER BY 1, 2",
  "WITH a AS (SELECT user_id, count(*) AS n FROM events GROUP BY 1), b AS (SELECT n FROM a WHERE user_id IS NOT NULL) SELECT max(n) AS top, count(*) AS users FROM b",
  "SELECT s.c, s.n FROM (SELECT c, count(*) AS n FROM (SELECT coalesce(country, '?') AS c FROM events) t GROUP BY c) s ORDER BY s.n DESC, s.c LIMIT 3",
  "SELECT event_type, min(received_at - ts) AS fastest, max(received_at - ts) AS slowest FROM events GROUP BY 1 ORDER BY 1",
  "SELECT min(received_at - ts) AS fastest, max(ts - received_at) AS most_negative FROM events",
  "SELECT source, sum(CASE WHEN event_type = 'click' THEN 1 ELSE 0 END) AS clicks, avg(CASE WHEN colo IS NULL THEN NULL ELSE length(colo) END) AS a FROM events GROUP BY 1 ORDER BY 1",
];

const FILTERS = [
  "country = 'NL'",
  "country <> 'US'",
  "region IS NULL",
  "colo IS NOT NULL",
  "source IN ('web', 'ios')",
  "event_type = 'click'",
  "event_type IN ('signup', 'order.created')",
  "ts >= TIMESTAMP '2025-03-02 06:00'",
  "ts < TIMESTAMP '2025-03-01 18:30'",
  "ts BETWEEN TIMESTAMP '2025-03-02' AND TIMESTAMP '2025-03-02 12:00'",
  "user_id LIKE 'u1%'",
  "length(user_id) > 3",
  "CAST(payload->>'qty' AS INTEGER) >= 3",
  "CAST(payload->>'x' AS INTEGER) < 500",
  "payload->>'plan' = 'pro'",
  "environment ILIKE 'PROD%'",
  "NOT (version = '1.0.0')",
  "epoch_ms(received_at) - epoch_ms(ts) > 2500",
];

const KEYS = [
  "country",
  "region",
  "source",
  "event_type",
  "date_trunc('hour', ts)",
  "environment",
  "payload->>'currency'",
  "version IS NULL",
  "coalesce(colo, 'none')",
  "CASE WHEN length(user_id) > 3 THEN 'long' ELSE 'short' END",
  "date_part('hour', ts)",
];

const AGGREGATES = [
  "count(*)",
  "count(user_id)",
  "count(DISTINCT user_id)",
  "sum(length(user_id))",
  "avg(epoch_ms(received_at) - epoch_ms(ts))",
  "min(ts)",
  "max(user_id)",
  "median(length(session_id))",
  "sum(CAST(payload->>'amount' AS DOUBLE))",
  "max(date_trunc('minute', received_at))",
];

const COLUMNS = [
  "event_id",
  "event_type",
  "ts",
  "user_id",
  "country",
  "colo",
  "payload->>'path'",
  "length(session_id)",
  "received_at - ts",
];

const TABLES = ["events", '"page.view"', "click", '"order.created"'];

const filterArb = fc
  .array(fc.tuple(fc.constantFrom(...FILTERS), fc.boolean(), fc.constantFrom("AND", "OR")), { maxLength: 3 })
  .map((parts) =>
    parts.length === 0
      ? ""
      : ` WHERE ${parts.map(([f, negate], i) => `${i > 0 ? ` ${parts[i - 1]?.[2]} ` : ""}${negate ? `NOT (${f})` : `(${f})`}`).join("")}`,
  );

export const groupedArb = fc
  .record({
    table: fc.constantFrom(...TABLES),
    keys: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 2 }),
    aggs: fc.uniqueArray(fc.constantFrom(...AGGREGATES), { minLength: 1, maxLength: 3 }),
    where: filterArb,
    having: fc.boolean(),
    limit: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
    directions: fc.array(fc.constantFrom("", " DESC", " NULLS FIRST", " DESC NULLS FIRST", " ASC NULLS LAST"), {
      minLength: 5,
      maxLength: 5,
    }),
  })
  .map(({ table, keys, aggs, where, having, limit, directions }) => {
    const items = [...keys.map((k, i) => `${k} AS k${i}`), ...aggs.map((a, i) => `${a} AS a${i}`)];
    const group = keys.length ? ` GROUP BY ${keys.map((_, i) => i + 1).join(", ")}` : "";
    const hav = having && keys.length ? " HAVING count(*) > 3 AND min(ts) < TIMESTAMP '2025-03-03 12:00'" : "";
    const order = ` ORDER BY ${items.map((_, i) => `${i + 1}${directions[i] ?? ""}`).join(", ")}`;
    return `SELECT ${items.join(", ")} FROM ${table}${where}${group}${hav}${order}${limit === null ? "" : ` LIMIT ${limit}`}`;
  });

export const plainArb = fc
  .record({
    table: fc.constantFrom(...TABLES),
    cols: fc.uniqueArray(fc.constantFrom(...COLUMNS), { minLength: 1, maxLength: 4 }),
    where: filterArb,
    limit: fc.integer({ min: 1, max: 30 }),
    offset: fc.integer({ min: 0, max: 10 }),
  })
  .map(
    ({ table, cols, where, limit, offset }) =>
      `SELECT event_id AS id, ${cols.map((c, i) => `${c} AS c${i}`).join(", ")} FROM ${table}${where} ORDER BY event_id LIMIT ${limit} OFFSET ${offset}`,
  );
