// Runs Prometheus' own `promtool check metrics` on an exposition (installed by scripts/install-promtool.sh).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const promtool = path.join(root, ".tools/prometheus/usr/bin/promtool");

/** promtool's verdict on `text`: exit status and what it printed (problems, one a line). */
export function promtoolCheck(text: string): { status: number; output: string } {
  if (!existsSync(promtool))
    execFileSync("bash", [path.join(root, "scripts/install-promtool.sh")], { stdio: "ignore" });
  const run = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}`.trim() };
}
