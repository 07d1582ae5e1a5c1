import * as fs from "node:fs";
import * as path from "node:path";

export interface GeneratedObject {
  key: string;
  body: Buffer;
  /** Delivery time, ms since the epoch. */
  delivered: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TIME = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]/;

/**
 * The lines of day files (`YYYY/MM/DD.log`, in path order) cut into log objects as AWS delivers
 * them: one object per hour of requests, delivered `delayMinutes` after the hour, and the last of
 * each day just after midnight, named by the next day. An hour's lines are the run of lines
 * whose latest timestamp so far falls in it (lines with no readable time go with the line before),
 * so keys sort in line order: concatenated in key order, the objects are the day files.
 */
export function cutIntoLogObjects(
  dayFolder: string,
  layout: "simple" | "partitioned",
  prefix = "logs/",
  delayMinutes = 4,
  /** Lines an object holds at most: an hour of a busy bucket comes in many objects. */
  maxLinesPerObject = Number.POSITIVE_INFINITY,
): GeneratedObject[] {
  const days = fs
    .readdirSync(dayFolder, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".log"))
    .sort();
  const objects: GeneratedObject[] = [];
  let latest = 0;
  let hour = -1;
  let chunk: Buffer[] = [];
  // The last hour of a day's lines is delivered just after that day's midnight, as AWS delivers the
  // day's last hour (the generated days need not fill all 24 hours).
  const deliver = (dayEnd?: number) => {
    if (chunk.length === 0) return;
    const delivered = (dayEnd ?? (hour + 1) * 3600 * 1000) + delayMinutes * 60 * 1000;
    const stamp = new Date(delivered).toISOString();
    const unique = (objects.length + 0x1000).toString(16).toUpperCase().padStart(16, "0");
    const name = `${stamp.slice(0, 10)}-${stamp.slice(11, 13)}-${stamp.slice(14, 16)}-${stamp.slice(17, 19)}-${unique}`;
    const folder =
      layout === "simple"
        ? ""
        : `123456789012/us-east-1/dandiarchive/${stamp.slice(0, 10).replaceAll("-", "/")}/`;
    objects.push({ key: `${prefix}${folder}${name}`, body: Buffer.concat(chunk), delivered });
    chunk = [];
  };
  for (const day of days) {
    const text = fs.readFileSync(path.join(dayFolder, day));
    // Damaged lines can carry any time; only the day's own times move the hour on.
    const dayStart = Date.parse(`${day.slice(0, 10).replaceAll(path.sep, "-")}T00:00:00Z`);
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf(0x0a, start);
      const end = newline === -1 ? text.length : newline + 1;
      // A day file's last line may lack its newline; an object must not join it to the next day's first.
      const line =
        newline === -1
          ? Buffer.concat([text.subarray(start, end), Buffer.from("\n")])
          : text.subarray(start, end);
      start = end;
      const match = TIME.exec(line.toString("latin1"));
      const time =
        match === null
          ? Number.NaN
          : Date.UTC(+match[3], MONTHS.indexOf(match[2]), +match[1], +match[4], +match[5], +match[6]);
      if (time >= dayStart && time < dayStart + 24 * 3600 * 1000) latest = Math.max(latest, time);
      const lineHour = Math.floor(latest / 3600_000);
      if (lineHour !== hour || chunk.length >= maxLinesPerObject) {
        deliver();
        hour = lineHour;
      }
      chunk.push(line);
    }
    deliver(dayStart + 24 * 3600 * 1000);
  }
  return objects;
}

/** Writes objects into a local folder, keys as paths. */
export function writeLogObjects(folder: string, objects: readonly GeneratedObject[], prefix = "logs/"): void {
  for (const object of objects) {
    const file = path.join(folder, object.key.slice(prefix.length));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, object.body);
  }
}
