import { type DandisetPublished, renderDandisetPage } from "./dandiset-page.js";
import { summarizeDandiset } from "./index-page.js";
import { loadDandiset } from "./load-dandiset.js";
import type { PageContext } from "./page-parts.js";
import type { PageRecord } from "./report-state.js";

/**
 * Everything a Dandiset's page is drawn from. Plain data (maps included), so that a worker thread can be
 * handed it: a page must come out the same whichever thread draws it.
 */
export interface PageTask {
  mappedFolder: string;
  id: string;
  context: PageContext;
  /** What the page shows of the published summaries; null without them. */
  published: DandisetPublished | null;
  /** Keep the Dandiset's rows by day and region for the archive-wide sums (folders without archive tables). */
  keepShare: boolean;
}

/** A drawn page and what the report keeps of it, but its fingerprint. */
export interface DrawnPage {
  html: string;
  record: Omit<PageRecord, "fingerprint">;
}

/** Reads one Dandiset's tables and draws its page. */
export async function drawDandisetPage(task: PageTask): Promise<DrawnPage> {
  const dandiset = loadDandiset(task.mappedFolder, task.id);
  const html = await renderDandisetPage(dandiset, task.context, task.published);
  const totals = task.published?.totals;
  const counts =
    task.published === null ? {} : { downloads: totals?.downloads ?? null, views: totals?.views ?? null };
  return {
    html,
    record: {
      summary: { ...summarizeDandiset(dandiset), ...counts },
      requestSource: dandiset.requestSource,
      chartWarnings: [],
      share: task.keepShare ? { byDay: dandiset.byDay, byRegion: dandiset.byRegion } : null,
    },
  };
}
