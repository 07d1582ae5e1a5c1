import { CommanderError } from "commander";
import { AbortedError, RunError, UsageError } from "../errors.js";
import { explainWriteFailure } from "../io/folders.js";
import { formatAge, LockedError } from "../io/run-lock.js";
import { type OptionFlags, withFlagNames } from "./option-flags.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** EX_TEMPFAIL: another run holds the work folder; try again later. */
export const EXIT_LOCKED = 75;
export const EXIT_INTERRUPTED = 130;

/** Signals that stop a run the way Ctrl-C does: SIGHUP too (a closed terminal, a daemon told to stop). */
const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs a command's action with what every command shares: an AbortSignal raised by Ctrl-C, SIGTERM
 * or SIGHUP (a second signal exits at once), and errors turned into one line and an exit code.
 * `flags` says which flag sets which library option, for the messages.
 */
export async function runCommand(
  flags: OptionFlags,
  action: (signal: AbortSignal) => Promise<number>,
  settings: { stuckAfterHours?: number } = {},
): Promise<never> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`\n${signal}: stopping; finished outputs are kept, unfinished ones removed\n`);
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let code: number;
  try {
    code = await action(controller.signal);
  } catch (error) {
    // Whatever a signal cut short (a request the SDK aborted, a stream destroyed) is an interruption.
    const interrupted = controller.signal.aborted && !(error instanceof UsageError);
    code = interrupted ? EXIT_INTERRUPTED : exitCodeOf(error);
    const stuck = stuckRun(error, settings.stuckAfterHours);
    if (stuck !== null) code = EXIT_FAILED;
    const message = stuck ?? messageOf(error, flags);
    process.stderr.write(
      `${interrupted && !(error instanceof AbortedError) ? `error: interrupted: ${message.slice("error: ".length)}` : message}\n`,
    );
    if (process.env.DEBUG) process.stderr.write(`${debugTrace(error)}\n`);
  }
  // A signal that came during the action's last synchronous stretch (drawing a report's last page)
  // is handled only once the event loop turns: let it, so that the run says it was stopped.
  await new Promise((resolve) => setImmediate(resolve));
  if (controller.signal.aborted && code === EXIT_OK) code = EXIT_INTERRUPTED;
  process.exit(code);
}

/**
 * A lock held longer than `--stuck_after_hours` by a live run: not "busy, try later" (75, which a
 * cron setup may well keep quiet) but a failure that names the run and how long it has held the
 * folder, so that a hung run is seen the next morning, not weeks later.
 */
function stuckRun(error: unknown, stuckAfterHours: number | undefined): string | null {
  if (!(error instanceof LockedError) || stuckAfterHours === undefined) return null;
  const held = error.heldForMs();
  if (held === null || held < stuckAfterHours * 3600_000) return null;
  return (
    `error: ${error.holder} has held ${error.lockPath} for ${formatAge(held)}, longer than --stuck_after_hours ` +
    `${stuckAfterHours}: it may be stuck; look at it (ps -p ${error.holder?.split(" ")[1]}) and stop it if so ` +
    "(a stopped run is undone by the next)"
  );
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof AbortedError) return EXIT_INTERRUPTED;
  if (error instanceof LockedError) return EXIT_LOCKED;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  return EXIT_FAILED;
}

/**
 * One line, always: a stack trace tells a user of the command nothing they can act on, and cron mail
 * of a few lines is read where one of forty is not. `DEBUG` set adds the trace after it.
 */
export function messageOf(error: unknown, flags: OptionFlags): string {
  return `error: ${oneLine(describe(error, flags))}`;
}

function describe(error: unknown, flags: OptionFlags): string {
  if (error instanceof UsageError || error instanceof RunError || error instanceof AbortedError)
    return withFlagNames(error.message, error.optionNames, flags);
  if (error instanceof LockedError) return error.message;
  if (error instanceof Error) {
    const errno = error as NodeJS.ErrnoException;
    const unwritable = errno.code === "EROFS" || errno.code === "EACCES" || errno.code === "EPERM";
    if (errno.path !== undefined && (unwritable || (errno.code === "ENOENT" && errno.syscall === "mkdir"))) {
      const explained = explainWriteFailure(error, errno.path);
      if (explained !== error) return (explained as Error).message;
    }
    // Not one of the library's own errors: a failure nobody foresaw, so say what kind it was.
    const kind = errno.code === undefined && error.name !== "Error" ? `${error.name}: ` : "";
    return `${kind}${error.message || "(no message)"} (set DEBUG=1 to see where it came from)`;
  }
  return String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** The stack of `error` and of each of its causes, for `DEBUG`. */
function debugTrace(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? String(e)) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined && e !== null) parts.push("caused by:");
  }
  return parts.join("\n");
}
