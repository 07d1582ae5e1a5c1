import * as fs from "node:fs";
import * as path from "node:path";
import { commitFile, tempPathFor } from "../io/atomic-file.js";
import { REDUCED_HEADER } from "../io/table-headers.js";

const NEWLINE = 0x0a;
const HEADER_BYTES = Buffer.from(REDUCED_HEADER);
/** Output files kept open at once; a run over a year of objects touches hundreds of days. */
const MAX_OPEN_FILES = 128;
const READ_BUFFER_BYTES = 1024 * 1024;

/** A day's output in a run: where it goes, and what it starts with. */
export interface DayTarget {
  /** The final path of the unit (or pending file) the day's rows of this run make. */
  finalPath: string;
  /** Whether the file starts with the reduced header (a unit) or not (rows held for later). */
  header: boolean;
  /** Files whose rows come first (rows held for the day by earlier runs). */
  prefixFiles: string[];
}

interface OpenDay {
  target: DayTarget;
  temp: string;
  fd: number | null;
}

/**
 * Sends the rows of reduced log objects to the day of their own timestamp. Objects are added in
 * key order, and each object's rows in line order, so a day's file holds its rows in that order:
 * what reducing the day's lines, gathered in a day file, gives. Every day gets a temporary file,
 * renamed into place by `commit` once all objects are in, or removed by `abort`.
 */
export class DaySplitter {
  private readonly days = new Map<string, OpenDay>();
  private openFiles = 0;
  private readonly buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

  constructor(private readonly targetOf: (day: string) => DayTarget) {}

  /** Appends the rows of one reduced object (a file of rows, no header), then removes it. */
  addObjectRows(rowsPath: string): void {
    const fd = fs.openSync(rowsPath, "r");
    try {
      let end = 0;
      for (;;) {
        const n = fs.readSync(fd, this.buffer, end, this.buffer.length - end, null);
        if (n === 0) break;
        end += n;
        const consumed = this.route(this.buffer, end);
        this.buffer.copyWithin(0, consumed, end);
        end -= consumed;
      }
      // The reducer ends every row with a newline; a rest would be a file cut short.
      if (end > 0) throw new Error(`${rowsPath} ends inside a row`);
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(rowsPath, { force: true });
  }

  /** Days that received rows (or were opened with `touch`), by `YYYY/MM/DD`. */
  dayNames(): string[] {
    return [...this.days.keys()].sort();
  }

  /** Opens a day's file even when no row comes for it (a day whose held rows are now settled). */
  touch(day: string): void {
    this.dayFd(day);
  }

  /** Flushes every day's file to disk and renames it into place; returns the final paths. */
  commit(): string[] {
    const paths: string[] = [];
    for (const day of this.dayNames()) {
      const open = this.days.get(day) as OpenDay;
      const fd = open.fd ?? fs.openSync(open.temp, "a");
      if (open.fd !== null) this.openFiles--;
      open.fd = null;
      commitFile(fd, open.temp, open.target.finalPath);
      paths.push(open.target.finalPath);
    }
    this.days.clear();
    return paths;
  }

  /** Removes every temporary file. Safe to call more than once. */
  abort(): void {
    for (const open of this.days.values()) {
      if (open.fd !== null) fs.closeSync(open.fd);
      open.fd = null;
      fs.rmSync(open.temp, { force: true });
    }
    this.days.clear();
    this.openFiles = 0;
  }

  /** Writes the whole rows of `buf[0, end)` to their days; returns the bytes consumed. */
  private route(buf: Buffer, end: number): number {
    let start = 0;
    let runStart = 0;
    let runDay = "";
    // Rows of one object are mostly of one day: write runs of rows of the same day at once.
    while (start < end) {
      const newline = buf.indexOf(NEWLINE, start);
      if (newline === -1 || newline >= end) break;
      // Compared as bytes first, so rows of the same day as the last cost no string.
      if (runDay === "" || !sameDay(buf, runStart, start)) {
        if (runDay !== "") this.write(runDay, buf, runStart, start);
        runDay = dayOfRow(buf, start);
        runStart = start;
      }
      start = newline + 1;
    }
    if (runDay !== "") this.write(runDay, buf, runStart, start);
    return start;
  }

  private write(day: string, buf: Buffer, start: number, end: number): void {
    const fd = this.dayFd(day);
    let done = start;
    while (done < end) done += fs.writeSync(fd, buf, done, end - done);
  }

  private dayFd(day: string): number {
    let open = this.days.get(day);
    if (open === undefined) {
      const target = this.targetOf(day);
      const temp = tempPathFor(target.finalPath);
      fs.mkdirSync(path.dirname(target.finalPath), { recursive: true });
      const fd = this.openFd(temp, "w");
      open = { target, temp, fd };
      this.days.set(day, open);
      if (target.header) writeAll(fd, HEADER_BYTES, 0, HEADER_BYTES.length);
      // Not `this.buffer`: it holds the rows being routed.
      for (const file of target.prefixFiles) copyInto(fd, file, Buffer.allocUnsafe(READ_BUFFER_BYTES));
      return fd;
    }
    if (open.fd === null) open.fd = this.openFd(open.temp, "a");
    return open.fd;
  }

  private openFd(file: string, flags: string): number {
    if (this.openFiles >= MAX_OPEN_FILES) {
      for (const open of this.days.values()) {
        if (open.fd === null) continue;
        fs.closeSync(open.fd);
        open.fd = null;
        this.openFiles--;
      }
    }
    this.openFiles++;
    return fs.openSync(file, flags);
  }
}

/** `YYYY/MM/DD` of a reduced row, which starts with its timestamp `YYYY-MM-DDTHH:MM:SS`. */
function dayOfRow(buf: Buffer, start: number): string {
  return `${buf.toString("latin1", start, start + 4)}/${buf.toString("latin1", start + 5, start + 7)}/${buf.toString("latin1", start + 8, start + 10)}`;
}

function writeAll(fd: number, buf: Buffer, start: number, end: number): void {
  let done = start;
  while (done < end) done += fs.writeSync(fd, buf, done, end - done);
}

function copyInto(fd: number, file: string, buffer: Buffer): void {
  const input = fs.openSync(file, "r");
  try {
    for (;;) {
      const n = fs.readSync(input, buffer, 0, buffer.length, null);
      if (n === 0) break;
      writeAll(fd, buffer, 0, n);
    }
  } finally {
    fs.closeSync(input);
  }
}

/**
 * Whether the rows at `a` and `b` start with the same `YYYY-MM-DD`: ten bytes compared here, the
 * day's digits first, which cost a tenth of a `Buffer.compare` call (once a row, a native call).
 */
function sameDay(buf: Buffer, a: number, b: number): boolean {
  for (let i = 9; i >= 0; i--) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}
