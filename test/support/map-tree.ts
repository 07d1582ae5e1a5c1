import { readTree } from "../helpers.ts";

/**
 * A mapped folder's files, but for the requester key (random per folder) and the requester sets
 * hashed under it: two folders mapped from the same input differ there and nowhere else. The exact
 * requester counts are still compared, in map's journal.
 */
export function mapTree(folder: string): Map<string, string> {
  return new Map(
    [...readTree(folder)].filter(
      ([name]) => name !== ".map_state/requester_key" && !name.startsWith(".map_state/requesters/"),
    ),
  );
}
