import * as fs from "node:fs";
import { RunError, UsageError } from "../errors.js";
import { holdsObjectFiles } from "../formats/work-formats.js";
import { type BinnedDay, type JournalState, readJournalState, writeJournal } from "./journal.js";
import { applyUndoLog, readUndoLog, sharesWithUndoLogs, undoLogPath } from "./undo-log.js";

/** The journal, created empty in a new folder; a folder with object files but no journal is refused. */
export function openJournal(binnedFolder: string): JournalState {
  const journal = readJournalState(binnedFolder);
  if (journal !== null) return journal;
  if (holdsObjectFiles(binnedFolder)) {
    throw new UsageError(
      `\`binnedFolder\` ${binnedFolder} holds binned files but no journal of binned days (.binned_days), ` +
        "so it was not made by this tool and its days are unknown; bin into a new, empty folder",
      { code: "ERR_BINNED_FOLDER_WITHOUT_JOURNAL", optionNames: ["binnedFolder"] },
    );
  }
  writeJournal(binnedFolder, []);
  return { days: [], inProgress: null, inProgressShares: 1 };
}

/**
 * Finishes what a killed run left: deletes a committed batch's undo logs, or undoes an uncommitted
 * batch. A batch the journal says was changing object files must have a whole undo log for each of
 * its shares; without one its changes cannot be told apart from committed rows, and the run stops
 * rather than bin its days a second time. Shares own distinct objects, so their logs are undone in
 * any order.
 */
export function recoverInterruptedBatch(binnedFolder: string, state: JournalState): boolean {
  const shares = sharesWithUndoLogs(binnedFolder);
  const logs = new Map(shares.map((share) => [share, readUndoLog(undoLogPath(binnedFolder, share))]));
  if (state.inProgress !== null) {
    const batch = state.inProgress;
    for (let share = 0; share < state.inProgressShares; share++) {
      const log = logs.get(share) ?? null;
      const damage =
        log === null
          ? "is missing"
          : (log.damage ??
            (log.batch !== batch
              ? `belongs to batch ${log.batch ?? "?"}, not ${batch}`
              : log.shares !== state.inProgressShares
                ? `is one of ${log.shares} shares, not ${state.inProgressShares}`
                : null));
      if (damage !== null) throw damagedUndoLog(undoLogPath(binnedFolder, share), batch, damage);
    }
  }
  const committed = new Set(state.days.map((d) => d.day));
  let undone = false;
  for (const [share, log] of logs) {
    const isCommitted =
      log.days !== null && log.days.length > 0 && log.days.every((day) => committed.has(day));
    // Without a batch in progress, a damaged log guards nothing: no object changed after it was begun.
    if (isCommitted || log.damage !== null) continue;
    applyUndoLog(binnedFolder, undoLogPath(binnedFolder, share), log);
    undone ||= log.records.length > 0;
  }
  if (state.inProgress !== null) writeJournal(binnedFolder, state.days);
  removeUndoLogs(binnedFolder, shares);
  return undone;
}

/** The first share's log last: its presence is what tells an unfinished batch (rekey looks for it). */
export function removeUndoLogs(binnedFolder: string, shares: readonly number[]): void {
  for (const share of [...shares].sort((a, b) => b - a))
    fs.rmSync(undoLogPath(binnedFolder, share), { force: true });
}

function damagedUndoLog(file: string, batch: number, damage: string): RunError {
  return new RunError(
    `${file} ${damage}, but batch ${batch} was changing object files when its run ended, and only this ` +
      "log can put them back (binning its days again would count their rows twice): restore the log from " +
      "a backup and rerun, or bin into a new, empty folder",
    { code: "ERR_BIN_UNDO_LOG_DAMAGED" },
  );
}

/** Undoes the batch that failed or was aborted; if even that fails, the next run undoes it. */
export function rollBack(
  binnedFolder: string,
  journal: BinnedDay[],
  batch: number | null,
  shares: number,
  cause: unknown,
): void {
  try {
    recoverInterruptedBatch(binnedFolder, {
      days: journal,
      inProgress: batch,
      inProgressShares: shares,
    });
  } catch (error) {
    throw new RunError(
      `binning failed (${(cause as Error).message}) and undoing its batch failed too (${(error as Error).message}); ` +
        "the next run undoes it",
      { cause },
    );
  }
}
