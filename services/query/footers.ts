// Parsed Parquet footers of immutable lake files, kept across requests and splits in this isolate.
import { createFooterCache } from "../../shared/query";

export const footers = createFooterCache(2000);
