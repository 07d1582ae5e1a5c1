import * as path from "node:path";
import { STATE_FOLDER } from "./map-state.js";

/** Where map keeps its numbers under the state folder (see map-state.ts for what each holds). */

export function archivePath(stateFolder: string): string {
  return path.join(stateFolder, "archive.json");
}

export function aggregatesPath(identifier: string): string {
  return `${STATE_FOLDER}/dandisets/${identifier}.json`;
}

export function storedPlanPath(identifier: string): string {
  return `${STATE_FOLDER}/catalog/${identifier}.json`;
}

/** The keyed hashes of a Dandiset's requesters (or the archive's, under `archive`). */
export function requestersPath(identifier: string): string {
  return `${STATE_FOLDER}/requesters/${identifier}.bin`;
}

export const ASSOCIATED_NUMBERS = "associated.json";
export const ASSOCIATED_LIST = "associated.tsv";
/** Under the state folder: the undo log of the summaries folder. */
export const SUMMARIES_UNDO = "summaries_undo";
