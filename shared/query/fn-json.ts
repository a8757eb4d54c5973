// JSON functions: json_extract (->), json_extract_string (->>), over VARCHAR or JSON text.
import type { ScalarFn } from "./bound";
import { extractJson, extractString, type PathStep, parsePath } from "./json-path";
import { mapAny, mapStr } from "./kernels";
import type { Vec } from "./vector";

function jsonFn(name: string, extract: (t: string, steps: PathStep[]) => string | null): ScalarFn {
  return {
    name,
    strict: true,
    impl(args, n) {
      const [doc, path] = args as [Vec, Vec];
      if (path.kind === "const") {
        if (path.value === null) return { kind: "const", n, value: null };
        const steps = parsePath(path.value as string | number);
        return mapStr(doc, "str", (t) => extract(t, steps));
      }
      const cache = new Map<string | number, PathStep[]>();
      return mapAny(args, n, "str", (t, p) => {
        let steps = cache.get(p as string | number);
        if (!steps) {
          steps = parsePath(p as string | number);
          cache.set(p as string | number, steps);
        }
        return extract(t as string, steps);
      });
    },
  };
}

export const jsonExtractFn = jsonFn("json_extract", extractJson);
export const jsonExtractStringFn = jsonFn("json_extract_string", extractString);
