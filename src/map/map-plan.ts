import { createHash } from "node:crypto";
import { invalidOption } from "../check-options.js";
import type { Catalog } from "../dandi/catalog.js";
import { type AssetType, assetTypeOf } from "../summaries/asset-types.js";
import type { ObjectKey } from "./binned-objects.js";
import {
  type AssetEntry,
  byIdentifier,
  type DandisetPlan,
  displayPathOf,
  freshPlans,
  isSelectedBy,
  readStoredPlan,
} from "./dandiset-plans.js";
import { type BinJournal, binnedObjectsOf, type Decision, decide } from "./map-decision.js";
import type { MapOptions, MapSummary } from "./map-options.js";
import { associatedListText, clearState, type MapJournal } from "./map-state.js";
import type { PendingObject } from "./mapped-objects.js";

/** Everything a map run will do, decided before any file changes. */
export interface MapPlan {
  decision: Decision;
  /** The last committed run's journal, or null when everything is mapped again. */
  journal: MapJournal | null;
  /** Whether only part of the catalog is selected. */
  selecting: boolean;
  /** The Dandisets the folder will hold. */
  plans: Map<string, DandisetPlan>;
  /** Dandisets the folder holds that the catalog no longer lists: their folders go. */
  gone: string[];
  /** Each listed object's Dandisets and their entries, Dandisets in identifier order. */
  objectsOf: Map<ObjectKey, { identifier: string; entries: AssetEntry[] }[]>;
  /**
   * Every object some Dandiset lists, with its asset type (from its path in the first Dandiset
   * listing it): the rest is the undetermined traffic.
   */
  associated: Map<ObjectKey, AssetType>;
  associatedPrint: string;
  /** The binned objects to map, in key order. */
  pending: PendingObject[];
}

export interface PlanInput {
  options: MapOptions;
  catalog: Catalog;
  committed: MapJournal | null;
  binJournal: BinJournal;
  binnedFolder: string;
  stateFolder: string;
  summariesFolder: string | null;
  summary: MapSummary;
}

/** Plans a run: the Dandisets the folder will hold, the objects they list, and what to map. */
export function planMapRun(input: PlanInput): MapPlan {
  const { options, catalog, committed, summary } = input;
  if (catalog.dandisets.length === 0) {
    // Taken at its word, an empty catalog would remove every Dandiset's folder.
    throw invalidOption(
      options.catalog === undefined ? "api" : "catalog",
      `${options.catalog === undefined ? "answered" : "holds"} no Dandiset; check it: mapping from it would remove every Dandiset's tables`,
      "ERR_EMPTY_CATALOG",
    );
  }
  const fresh = freshPlans(catalog, options);
  summary.dandisetsSelected = fresh.size;
  const selecting =
    (options.restrictTo?.length ?? 0) > 0 ||
    (options.excluded?.length ?? 0) > 0 ||
    options.limit !== undefined;
  if (selecting && fresh.size === 0 && (options.restrictTo?.length ?? 0) > 0) {
    throw invalidOption(
      "restrictTo",
      `names ${options.restrictTo!.join(",")}, none of which is in the catalog; check the identifiers`,
      "ERR_NO_SELECTED_DANDISET",
    );
  }
  const decision = decide(options, committed, input.binJournal, input.binnedFolder);
  if (selecting && input.summariesFolder !== null && (decision.rebuild || committed === null)) {
    // With nothing kept of the other Dandisets, their objects would count as no Dandiset's:
    // published figures would be wrong.
    throw invalidOption(
      "summariesFolder",
      "cannot be written by a first map, or a rebuild, over part of the catalog: the traffic of objects " +
        "no Dandiset lists needs every Dandiset's assets; map once over the whole " +
        "catalog (no restrictTo, excluded or limit), then selections update the summaries correctly",
      "ERR_SUMMARIES_NEED_WHOLE_CATALOG",
    );
  }
  summary.rebuilt = decision.rebuild;
  summary.rebuildReason = decision.reason;
  if (decision.rebuild) clearState(input.stateFolder);
  const journal = decision.rebuild ? null : committed;
  // Dandisets not open to all are not published (their assets' paths would show), unless asked
  // for: their objects count as listed, so their traffic is the archive's, not undetermined.
  const hidden = [...fresh.values()].filter((plan) => !plan.open && !options.publishEmbargoed);
  for (const plan of hidden) fresh.delete(plan.identifier);
  summary.dandisetsEmbargoed.push(...hidden.map((plan) => plan.identifier));
  const { plans, gone } = heldDandisets(fresh, journal, selecting, options, input.stateFolder);
  const objectsOf = objectsOfPlans(plans);
  const associated = new Map<ObjectKey, AssetType>();
  for (const [object, list] of objectsOfPlans(
    new Map([...plans, ...hidden.map((p) => [p.identifier, p] as const)]),
  ))
    associated.set(object, assetTypeOf(displayPathOf(list[0].entries)));
  const associatedPrint = createHash("sha256")
    .update(associatedListText(associated))
    .digest("hex")
    .slice(0, 32);
  return {
    decision,
    journal,
    selecting,
    plans,
    gone,
    objectsOf,
    associated,
    associatedPrint,
    pending: pendingObjects(decision, input, options),
  };
}

/**
 * The Dandisets the folder will hold: this run's catalog, and (for a run over part of the catalog)
 * the others as their stored entries say. A Dandiset the full catalog no longer lists (deleted, or
 * embargoed) is gone.
 */
function heldDandisets(
  fresh: Map<string, DandisetPlan>,
  journal: MapJournal | null,
  selecting: boolean,
  options: MapOptions,
  stateFolder: string,
): { plans: Map<string, DandisetPlan>; gone: string[] } {
  const plans = new Map(fresh);
  const gone: string[] = [];
  for (const identifier of Object.keys(journal?.dandisets ?? {})) {
    if (plans.has(identifier)) continue;
    const stored =
      selecting && !isSelectedBy(identifier, options) ? readStoredPlan(stateFolder, identifier) : null;
    if (stored !== null) plans.set(identifier, stored);
    else gone.push(identifier);
  }
  return { plans, gone };
}

function objectsOfPlans(plans: Map<string, DandisetPlan>): MapPlan["objectsOf"] {
  const objectsOf: MapPlan["objectsOf"] = new Map();
  for (const plan of [...plans.values()].sort(byIdentifier)) {
    for (const [object, entries] of plan.entriesOf) {
      const list = objectsOf.get(object);
      if (list === undefined) objectsOf.set(object, [{ identifier: plan.identifier, entries }]);
      else list.push({ identifier: plan.identifier, entries });
    }
  }
  return objectsOf;
}

function pendingObjects(decision: Decision, input: PlanInput, options: MapOptions): PendingObject[] {
  const wanted = (object: ObjectKey) =>
    options.objectType === undefined || object.startsWith(`${options.objectType}:`);
  if (!decision.rebuild) return decision.pending.filter((p) => wanted(p.object));
  return [...binnedObjectsOf(input.binnedFolder, input.binJournal)]
    .filter(wanted)
    .sort()
    .map((object): PendingObject => ({ object, from: 0, rowsAdded: 0, created: true, unmapped: true }));
}
