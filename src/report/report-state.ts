import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic-file.js";
import { readTextIfExists } from "../io/read-if-exists.js";
import type { DandisetSummary } from "./index-page.js";
import type { RequestSource, UsageRow } from "./usage.js";

/**
 * What a report remembers of how it was drawn, beside `report.json`, so that a rerun redraws only the
 * pages whose inputs changed and draws the index without reading the other Dandisets again.
 */
export const STATE_FILE = "report-state.json";

/** Bumped whenever a page would come out different from the same tables, so every page is redrawn. */
const STATE_FORMAT = 2;

/** A Dandiset's part of the archive-wide sums, kept only for mapped folders without archive tables. */
export interface ArchiveShare {
  byDay: UsageRow[];
  byRegion: UsageRow[];
}

export interface PageRecord {
  /** `fingerprintDandiset` of the tables the page was drawn from. */
  fingerprint: string;
  summary: DandisetSummary;
  requestSource: RequestSource;
  chartWarnings: string[];
  share: ArchiveShare | null;
}

export interface ReportState {
  format: number;
  /** What every page depends on besides its own tables: the generator, the source name, the archive mode. */
  setting: string;
  pages: Record<string, PageRecord>;
  /**
   * Pages (`dandisets/<file>`) the report wrote, or is writing, that no record vouches for: while a
   * run replaces and removes pages, so that a run killed then still knows them for its own.
   */
  otherPages?: string[];
}

export function emptyState(setting: string): ReportState {
  return { format: STATE_FORMAT, setting, pages: {} };
}

/**
 * The state of the report in `folder`, or an empty one when there is none, it cannot be read, or it was
 * written for other settings (another version, another source): every page is then redrawn.
 */
export function readState(folder: string, setting: string): ReportState {
  const text = readTextIfExists(path.join(folder, STATE_FILE));
  if (text === null) return emptyState(setting);
  try {
    const parsed = JSON.parse(text) as Partial<ReportState>;
    if (
      parsed.format !== STATE_FORMAT ||
      parsed.setting !== setting ||
      typeof parsed.pages !== "object" ||
      parsed.pages === null
    )
      return emptyState(setting);
    return { format: STATE_FORMAT, setting, pages: parsed.pages };
  } catch {
    // A damaged state costs a full redraw, never a wrong page.
    return emptyState(setting);
  }
}

/**
 * The pages the state in `folder` lists (`dandisets/<file>`), whatever settings or version wrote
 * it: the pages that report wrote, which a rerun may replace or remove. Null when there is no
 * readable state.
 */
export function readStatePages(folder: string, pagePathOf: (id: string) => string): string[] | null {
  const text = readTextIfExists(path.join(folder, STATE_FILE));
  if (text === null) return null;
  try {
    const { pages, otherPages } = JSON.parse(text) as Partial<ReportState>;
    if (typeof pages !== "object" || pages === null) return null;
    const others = Array.isArray(otherPages) ? otherPages.filter((page) => typeof page === "string") : [];
    return [...new Set([...Object.keys(pages).map(pagePathOf), ...others])];
  } catch {
    return null;
  }
}

/** Writes the state whole or not at all; pages come out in id order so equal states are equal files. */
export function writeState(folder: string, state: ReportState): void {
  const pages: Record<string, PageRecord> = {};
  for (const id of Object.keys(state.pages).sort()) pages[id] = state.pages[id];
  const others = state.otherPages?.length ? { otherPages: [...state.otherPages].sort() } : {};
  writeFileAtomic(
    path.join(folder, STATE_FILE),
    `${JSON.stringify({ format: state.format, setting: state.setting, pages, ...others })}\n`,
  );
}
